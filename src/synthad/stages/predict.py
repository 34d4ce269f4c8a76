r"""``synthad predict``: decide for new images, defective or not, with a trained run.

Example::

    synthad predict --run results/models/demo/circuit/draem/seed0 --images 'incoming/*.png' \
        --out predictions/circuit

The model folder of ``synthad train`` is loaded as ``synthad evaluate`` loads it. ``--images`` is a
folder (its image files, not its sub-folders) or a glob pattern (``**`` recurses); the images may
have any size: they are brought to the side ``R`` the run's threshold was set at
(``threshold.json``'s ``resolution`` and ``resize`` mode, i.e. as evaluation reads test images;
``R`` = 256, ``squash``, for a run without one) by the data loader, and scored in chunks. An image
is defective when its score is strictly greater than the threshold: the run's (``threshold.json``,
:mod:`synthad.evaluation.threshold`) unless ``--threshold`` gives one; a run trained with
``train.holdout_fraction: 0`` has none and needs ``--threshold``. ``--out`` is written as a whole,
only once every image is scored (an unreadable image: one error line naming it, nothing written):

* ``predictions.csv``: ``path, score, defective, threshold, overlay`` per image, sorted by path,
* ``overlays/<name>.png``: the anomaly map (JET colours) blended half and half over the image at
  ``R`` x ``R``, the view of the image the method scored, where the map is defined (a ``pad`` or
  ``crop`` resize mode has no pixel-exact way back to the original frame). ``<name>`` is the
  image's path below the folder (the glob's common folder) with the suffix ``.png``. The colour
  scale is the run's ``map_range``: blue as a typical pixel of a held-out good image, red at least
  as hot as the hottest of their pixels; without ``threshold.json`` each map's own min..max.
"""

from __future__ import annotations

import argparse
import glob
import os
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset
from tqdm import tqdm

from synthad.config import EvaluateConfig
from synthad.data.layouts.common import IMAGE_SUFFIXES, list_images
from synthad.errors import ConfigError, DataError
from synthad.stages.options import output_path, ranged_int
from synthad.utils.ranges import PositiveInt

CHUNK = 64  # images scored per call of predict_split: bounds memory for any number of images
PREDICTIONS = "predictions.csv"
COLUMNS = ["path", "score", "defective", "threshold", "overlay"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad predict``."""
    parser.add_argument("--run", required=True, type=Path, help="model folder written by `synthad train`")
    parser.add_argument("--images", required=True, help="folder of images, or a glob pattern (quote it)")
    parser.add_argument("--out", required=True, type=output_path,
                        help="output folder (predictions.csv, overlays/), replaced as a whole")
    parser.add_argument("--threshold", type=float,
                        help="decision threshold (default: the run's threshold.json)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--batch-size", type=ranged_int(PositiveInt), default=EvaluateConfig.batch_size,
                        help="images per predict call")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> None:
    """Score the images, decide and write ``--out`` (see the module docstring)."""
    import synthad.methods  # noqa: F401  (registers every method)
    from synthad.evaluation.evaluate import load_model
    from synthad.evaluation.threshold import read_threshold
    from synthad.utils.io import atomic_dir
    from synthad.utils.runtime import select_device

    paths, root = find_images(args.images)
    _check_out(args.out)
    method, _, _ = load_model(args.run, select_device(args.device))  # a bad folder: named first
    record = read_threshold(args.run)
    threshold = _threshold(args.threshold, record, args.run)
    side = int(record["resolution"]) if record else EvaluateConfig.resolution
    rows = pd.DataFrame({"path": [str(p) for p in paths], "label": 0, "mask_path": "",
                         "resize": record.get("resize", "squash") if record else "squash"})
    names = overlay_names(paths, root)
    scale = tuple(record["map_range"]) if record and "map_range" in record else None
    with atomic_dir(args.out) as tmp:
        scores = _score_and_draw(method, rows, side, args.batch_size, names, tmp / "overlays", scale,
                                 not args.no_progress)
        table = pd.DataFrame({"path": rows["path"], "score": scores,
                              "defective": (scores > threshold).astype(int), "threshold": threshold,
                              "overlay": [f"overlays/{n}" for n in names]})
        table[COLUMNS].to_csv(tmp / PREDICTIONS, index=False)
    print(f"{len(table)} images, {int(table['defective'].sum())} defective (score > {threshold:.6g})"
          f" -> {args.out / PREDICTIONS}")


def find_images(spec: str) -> tuple[list[Path], Path]:
    """The image files of ``--images`` (sorted) and the folder their overlay names are relative to.

    Raises:
        DataError: Nothing matched (the folder or pattern is named).
    """
    folder = Path(spec)
    if folder.is_dir():
        paths = list_images(folder)
        root = folder
    else:
        paths = sorted(Path(p) for p in glob.glob(spec, recursive=True)
                       if Path(p).is_file() and Path(p).suffix.lower() in IMAGE_SUFFIXES)
        root = Path(os.path.commonpath([p.parent.absolute() for p in paths])) if paths else folder
    if not paths:
        raise DataError(f"--images {spec}: no images matched (expected {', '.join(sorted(IMAGE_SUFFIXES))})")
    return paths, root


def overlay_names(paths: list[Path], root: Path) -> list[str]:
    """``<path below root>.png`` per image (POSIX separators).

    Raises:
        DataError: Two images would share an overlay (``a.png`` and ``a.jpg`` in one folder).
    """
    root = root.absolute()
    names = [Path(os.path.relpath(p.absolute(), root)).with_suffix(".png").as_posix() for p in paths]
    seen: dict[str, Path] = {}
    for name, path in zip(names, paths, strict=True):
        if name in seen:
            raise DataError(f"{seen[name]} and {path} would share the overlay {name}:"
                            " predict them separately")
        seen[name] = path
    return names


def _threshold(given: float | None, record: dict | None, run_dir: Path) -> float:
    """``--threshold`` when given, else the run's; a run without ``threshold.json`` needs the flag."""
    if given is not None:
        if not np.isfinite(given):
            raise ConfigError(f"--threshold: {given} is not a finite number")
        return float(given)
    if record is None:
        raise ConfigError(f"{run_dir}: the run has no threshold.json (train.holdout_fraction 0, or a run"
                          " older than decision thresholds); pass --threshold")
    return float(record["threshold"])


def _check_out(out: Path) -> None:
    """``--out`` is replaced as a whole: refuse a non-empty folder that is not an earlier output."""
    if out.is_dir() and any(out.iterdir()) and not (out / PREDICTIONS).is_file():
        raise ConfigError(f"--out {out}: a non-empty folder without {PREDICTIONS}; it would be replaced"
                          " as a whole: choose a new or empty folder")


class _KeepImages(Dataset):
    """A dataset that keeps the ``image`` of each item it hands out, for the overlays."""

    def __init__(self, dataset: Dataset):
        self.dataset, self.images = dataset, {}

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> dict:
        item = self.dataset[i]
        self.images[i] = item["image"]
        return item


def _score_and_draw(method, rows: pd.DataFrame, side: int, batch_size: int, names: list[str],
                    folder: Path, scale: tuple[float, float] | None, progress: bool) -> np.ndarray:
    """Score ``rows`` in chunks (as evaluation does) and write one overlay per image.

    Returns:
        ``(N,)`` float64 scores in ``rows`` order.
    """
    from synthad.data.loader import ImageDataset
    from synthad.evaluation.evaluate import predict_split
    from synthad.utils.images import write_image

    scores = []
    with tqdm(total=len(rows), desc="predict", unit="img", disable=not progress) as bar:
        for start in range(0, len(rows), CHUNK):
            chunk = _KeepImages(ImageDataset(rows.iloc[start:start + CHUNK], side))
            outputs = predict_split(method, chunk, batch_size, progress=False)
            for i, amap in enumerate(outputs.maps):
                write_image(folder / names[start + i], overlay(chunk.images[i], amap, scale))
            scores.append(outputs.scores)
            bar.update(len(chunk))
    return np.concatenate(scores)


def overlay(image: torch.Tensor, amap: np.ndarray, scale: tuple[float, float] | None) -> np.ndarray:
    """The anomaly map in JET colours blended half and half over the image.

    Args:
        image: ``(3, R, R)`` float in ``[0, 1]``.
        amap: ``(R, R)`` anomaly map.
        scale: ``(low, high)`` map values shown as blue and red; ``None``: the map's own min..max.

    Returns:
        ``(R, R, 3)`` uint8 RGB.
    """
    low, high = scale if scale is not None else (float(amap.min()), float(amap.max()))
    level = np.nan_to_num(np.clip((amap - low) / max(high - low, 1e-12), 0.0, 1.0))
    heat = cv2.applyColorMap((level * 255).round().astype(np.uint8), cv2.COLORMAP_JET)[:, :, ::-1]
    rgb = (image.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    return cv2.addWeighted(rgb, 0.5, np.ascontiguousarray(heat), 0.5, 0.0)
