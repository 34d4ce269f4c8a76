"""MAD-RTO-style derived data sets: object images rotated and shifted, masks along with them.

Lv et al. (CVPRW, Sec. 3, "Datasets") build MAD-RTO from the object categories of MAD by applying
"random rotation and random crop" to the train and test images, to simulate the misalignment of a
real production line. The paper gives no ranges; ours (:class:`~synthad.config.RtoConfig`):

* angle ``θ ~ U(-30°, 30°)`` about the image centre: far beyond the few degrees of pose jitter
  that aligned data sets (MVTec AD, MAD, the demo) have, so a fixed pixel no longer sees a fixed
  part of the object, yet a part never turns upside down (IMM regresses one angle per image and
  a template match stays unambiguous);
* translation ``tx, ty ~ U(-0.1, 0.1)`` times the side, i.e. a crop window moved by up to 10 %
  (25 px at 256 px): the object stays in view (MVTec objects fill 60-90 % of the frame);
* rotation and translation are one affine warp at the original resolution (bilinear for images,
  nearest neighbour for masks so they stay binary); uncovered pixels are filled by mirroring at
  the border (``reflect``: no black corners that would tell the angle away) with the *same*
  border rule for the masks, so a defect mirrored into a corner is still labelled.

Every image's draw depends only on the seed and its place in the data set
(``<category>/<split>/<defect type>/<file name>``), never on the order of processing. The draws
are written to ``<category>/rto.json``; the output is an MVTec-layout copy that the ``rto``
layout adapter indexes like any other folder.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from tqdm import tqdm

from synthad.config import DatasetEntry, RtoConfig
from synthad.data.index import read_index
from synthad.data.loader import read_masks
from synthad.data.registry import RTO_PREFIX, DatasetSpec, get_dataset
from synthad.errors import ConfigError, DataError, SynthADError, UnknownNameError
from synthad.utils.images import read_image, write_image
from synthad.utils.io import atomic_dir, write_json

BORDERS = {"reflect": cv2.BORDER_REFLECT_101, "replicate": cv2.BORDER_REPLICATE,
           "constant": cv2.BORDER_CONSTANT}
RTO_JSON = "rto.json"


@dataclass(frozen=True)
class Transform:
    """One image's draw.

    Attributes:
        angle: Counter-clockwise rotation about the image centre, degrees.
        tx: Horizontal shift as a fraction of the width (positive: content moves right).
        ty: Vertical shift as a fraction of the height (positive: content moves down).
    """

    angle: float
    tx: float
    ty: float


def draw_transform(config: RtoConfig, key: str) -> Transform:
    """The deterministic draw of one image.

    Args:
        config: Ranges and seed.
        key: The image's place in the data set (``washer/test/scratch/003.png``).

    Returns:
        ``angle ~ U(-max_angle, max_angle)``, ``tx, ty ~ U(-max_shift, max_shift)``.
    """
    rng = np.random.default_rng([config.seed, zlib.crc32(key.encode("utf-8"))])
    angle = rng.uniform(-config.max_angle, config.max_angle)
    tx, ty = rng.uniform(-config.max_shift, config.max_shift, size=2)
    return Transform(float(angle), float(tx), float(ty))


def affine_matrix(t: Transform, height: int, width: int) -> np.ndarray:
    """The ``(2, 3)`` forward affine map (output = M @ [x, y, 1]) of a draw at a given size."""
    matrix = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), t.angle, 1.0)
    matrix[:, 2] += (t.tx * width, t.ty * height)
    return matrix


def warp(array: np.ndarray, t: Transform, fill: str, nearest: bool = False) -> np.ndarray:
    """Rotate and shift an image ``(H, W[, C])`` uint8 (or a mask with ``nearest``) at its size.

    Args:
        array: Image or mask.
        t: The draw.
        fill: Key of :data:`BORDERS`; the same rule for an image and its masks keeps them aligned.
        nearest: Nearest-neighbour sampling (masks stay binary) instead of bilinear.

    Returns:
        The warped array, same shape and dtype.
    """
    height, width = array.shape[:2]
    interpolation = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    return cv2.warpAffine(array, affine_matrix(t, height, width), (width, height), flags=interpolation,
                          borderMode=BORDERS[fill], borderValue=0)


def check_objects(spec: DatasetSpec, categories: list[str]) -> None:
    """Reject categories of ``spec`` that are not objects (textures have nothing to misalign).

    Raises:
        DataError: A texture category (or an unknown one) is requested; ``folder`` data sets
            (objects unknown) accept every category.
    """
    if spec.object_categories is None:
        return
    for category in categories:
        if category not in spec.object_categories:
            kind = "a texture category" if category in spec.categories else "not a category"
            raise DataError(f"data set {spec.key!r}: {category!r} is {kind}; MAD-RTO transforms object "
                            f"categories only ({', '.join(spec.object_categories) or 'none'})")


def base_source(entry: DatasetEntry, datasets: dict[str, DatasetEntry]) -> str:
    """The registry key of an rto entry's base (its ``data.datasets`` entry's source, or itself)."""
    base = datasets.get(entry.base)
    return (base.source or entry.base) if base is not None else entry.base


def check_rto_entry(name: str, entry: DatasetEntry, datasets: dict[str, DatasetEntry], where: str) -> None:
    """Validate a ``source: rto`` entry of ``data.datasets`` (known base, object categories).

    Raises:
        ConfigError: Names ``where`` and the problem.
    """
    source = base_source(entry, datasets)
    try:
        spec = get_dataset(f"{RTO_PREFIX}{source}")
        check_objects(get_dataset(source), [c for c in entry.categories if c != "all"])
    except UnknownNameError as exc:
        raise ConfigError(f"{where}.base: {exc}") from exc
    except SynthADError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    if not spec.categories and spec.object_categories is not None:
        raise ConfigError(f"{where}: base {entry.base!r} has no object category")


def _out_name(row: pd.Series) -> tuple[str, str | None]:
    """Image and mask paths of a row inside the category folder (MVTec layout, PNG)."""
    stem = Path(row["path"]).stem
    if row["split"] == "train":
        return f"train/good/{stem}.png", None
    if not row["label"]:
        return f"test/good/{stem}.png", None
    return f"test/{row['defect_type']}/{stem}.png", f"ground_truth/{row['defect_type']}/{stem}_mask.png"


def derive_category(index_csv: str | Path, out_dir: str | Path, config: RtoConfig,
                    progress: bool = False) -> dict:
    """Write the rotated/shifted MVTec-layout copy of one indexed category and its ``rto.json``.

    Args:
        index_csv: ``data/index/<base>/<category>.csv`` (the category is its stem).
        out_dir: The new category folder (``<out>/<category>``), written into as is.
        config: Ranges, fill and seed.
        progress: Show a progress bar.

    Returns:
        The ``rto.json`` content: config, ``anomaly_kind`` per defect type (or ``None``) and
        ``images``: output path -> ``{source, angle, tx, ty}`` (shifts as fractions of the side).

    Raises:
        DataError: An unreadable image or mask, or two images that would get the same name.
    """
    index, category, out_dir = read_index(index_csv), Path(index_csv).stem, Path(out_dir)
    images: dict[str, dict] = {}
    for _, row in tqdm(index.iterrows(), total=len(index), desc=category, disable=not progress):
        name, mask_name = _out_name(row)
        if name in images:
            raise DataError(f"{index_csv}: two images would both be written to {category}/{name}")
        t = draw_transform(config, f"{category}/{name}")
        image = read_image(row["path"])
        write_image(out_dir / name, warp(image, t, config.fill))
        if mask_name is not None:  # LOCO-like rows with several masks get their union
            mask = read_masks(row["mask_path"], row["path"], image.shape[:2]).astype(np.uint8) * 255
            write_image(out_dir / mask_name, warp(mask, t, config.fill, nearest=True))
        images[name] = {"source": str(row["path"]), **asdict(t)}
    kinds = None
    if "anomaly_kind" in index.columns:
        defective = index[index["label"] == 1]
        kinds = dict(zip(defective["defect_type"], defective["anomaly_kind"].astype(str), strict=False))
    info = {"base_index": str(index_csv), "config": asdict(config), "anomaly_kind": kinds, "images": images}
    write_json(out_dir / RTO_JSON, info)
    return info


def derive_dataset(index_csvs: list[str | Path], out: str | Path, base: str, config: RtoConfig,
                   progress: bool = False) -> Path:
    """Derive ``rto:<base>`` from indexed categories of ``base``, atomically, with ``source.json``.

    Args:
        index_csvs: One index CSV per category (``data/index/<base name>/<category>.csv``).
        out: Destination folder (``data/raw/<name>``), replaced as a whole.
        base: Registry key of the base data set (``demo``, ``mvtec_ad``, ``folder``...).
        config: Ranges, fill and seed.
        progress: Show a progress bar per category.

    Returns:
        ``out``; it holds ``<category>/`` folders and ``source.json`` naming ``rto:<base>``.

    Raises:
        DataError: No index given, a texture category, or a bad image/mask (named).
    """
    if not index_csvs:
        raise DataError("rto: no base index given")
    categories = [Path(p).stem for p in index_csvs]
    check_objects(get_dataset(base), categories)
    out = Path(out)
    with atomic_dir(out) as tmp:
        for csv, category in zip(index_csvs, categories, strict=True):
            derive_category(csv, tmp / category, config, progress)
        marker = {"dataset": f"{RTO_PREFIX}{base}", "root": str(out), "downloaded": False, "base": base}
        write_json(tmp / "source.json", marker)
    return out
