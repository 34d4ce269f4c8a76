"""The index CSV: the one description of a category that every later stage reads.

``data/index/<dataset>/<category>.csv`` has one row per image with columns

* ``path``: image file (relative to the working directory or absolute),
* ``split``: ``train`` or ``test``,
* ``label``: 0 defect-free, 1 defective,
* ``defect_type``: ``good`` or the defect folder name,
* ``mask_path``: ground-truth mask(s) of a defective image, several joined with ``;`` (MVTec LOCO
  has one mask per defect instance); empty for defect-free images, and for every image of an
  image-level index (a data set with ``pixel_masks: false``: OK/NG labels only, no defect
  masks; :func:`has_pixel_masks` tells the two kinds apart),
* ``anomaly_kind`` (optional): ``logical`` / ``structural`` where the data set distinguishes them,
* ``saturation`` (optional, MVTec LOCO): the sPRO saturation of each mask, ``;``-joined in the
  order of ``mask_path``: ``rel:<fraction of the defect area>`` or ``abs:<pixels>`` (original
  resolution), from the data set's ``defects_config.json``.
* ``resize`` (optional, one value for every row): how the images become squares (``squash``,
  ``pad``, ``crop``; :mod:`synthad.utils.geometry`), from the data-set entry's ``resize``; absent
  means ``squash`` (written only for another mode, so squash indexes stay byte-identical).

Layout adapters (:mod:`synthad.data.layouts`) produce the rows; :func:`write_index` checks them
and :func:`read_index` checks them again when a stage starts, so a broken index fails early with
the file named.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from synthad.errors import DataError
from synthad.utils.geometry import RESIZE_MODES
from synthad.utils.io import atomic_path

COLUMNS = ["path", "split", "label", "defect_type", "mask_path"]
OPTIONAL_COLUMNS = ["anomaly_kind", "saturation", "resize"]
MASK_SEPARATOR = ";"


def validate_index(frame: pd.DataFrame, source: str, check_files: bool = True,
                   pixel_masks: bool | None = None) -> pd.DataFrame:
    """Check an index table and normalise its dtypes.

    Args:
        frame: The table (columns :data:`COLUMNS`, optionally ``anomaly_kind``).
        source: File or data set name used in error messages.
        check_files: Also check that every image and mask file exists.
        pixel_masks: ``True``: every defective image has a mask; ``False``: an image-level index,
            no image has one; ``None`` (reading an index back): either, but not a mix, so an index
            whose defective images have no mask at all is image-level.

    Returns:
        The table with ``label`` as int and ``mask_path`` as str ("" when absent).

    Raises:
        DataError: A column is missing, a split is empty, a label is not 0/1, a defective image
            has no mask (where masks are required or some have one), an image-level index lists a
            mask, or (with ``check_files``) a file is missing.
    """
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{source}: index lacks column(s) {', '.join(missing)}")
    frame = frame.copy()
    frame["mask_path"] = frame["mask_path"].fillna("").astype(str)
    frame["defect_type"] = frame["defect_type"].astype(str)
    bad_split = sorted(set(frame["split"]) - {"train", "test"})
    if bad_split:
        raise DataError(f"{source}: unknown split(s) {bad_split}; expected train/test")
    for split in ("train", "test"):
        if not (frame["split"] == split).any():
            raise DataError(f"{source}: the {split} split is empty")
    if not set(frame["label"].unique()) <= {0, 1}:
        raise DataError(f"{source}: labels must be 0 (good) or 1 (defective)")
    frame["label"] = frame["label"].astype(int)
    if ((frame["split"] == "train") & (frame["label"] == 1)).any():
        raise DataError(f"{source}: the train split holds defective images; it must be defect-free")
    _check_masks(frame, source, pixel_masks)
    if "saturation" in frame.columns:
        _check_saturation(frame, source)
    if "resize" in frame.columns:
        _check_resize(frame, source)
    if check_files:
        _check_files_exist(frame, source)
    return frame


def _check_masks(frame: pd.DataFrame, source: str, pixel_masks: bool | None) -> None:
    """Every defective image has its mask, or (image-level) no image has one."""
    with_mask = frame[frame["mask_path"] != ""]
    if pixel_masks is False and len(with_mask):
        raise DataError(f"{source}: image {with_mask['path'].iloc[0]} has a mask but the data set has "
                        "none (pixel_masks: false)")
    no_mask = frame[(frame["label"] == 1) & (frame["mask_path"] == "")]
    if len(no_mask) and (pixel_masks or len(with_mask)):
        raise DataError(f"{source}: defective image {no_mask['path'].iloc[0]} has no mask")


def has_pixel_masks(frame: pd.DataFrame) -> bool:
    """Whether an index (or its test split) has pixel ground truth: some image lists a mask.

    ``False`` for an image-level index (``pixel_masks: false``), whose metrics are image-level only.
    """
    return bool((frame["mask_path"].astype(str) != "").any())


def _check_saturation(frame: pd.DataFrame, source: str) -> None:
    """Every defective row has one saturation entry per mask (sPRO needs them pairwise)."""
    frame["saturation"] = frame["saturation"].fillna("").astype(str)
    for path, masks, sats in zip(frame["path"], frame["mask_path"], frame["saturation"], strict=True):
        if len(split_masks(sats)) != len(split_masks(masks)):
            raise DataError(f"{source}: image {path} has {len(split_masks(masks))} mask(s) but "
                            f"{len(split_masks(sats))} saturation entr(ies)")


def _check_resize(frame: pd.DataFrame, source: str) -> None:
    """One geometry for the whole category, one of :data:`~synthad.utils.geometry.RESIZE_MODES`."""
    modes = sorted(set(frame["resize"].astype(str)))
    if len(modes) != 1 or modes[0] not in RESIZE_MODES:
        raise DataError(f"{source}: column resize must hold one of {', '.join(RESIZE_MODES)} on every"
                        f" row (found {', '.join(modes)})")


def resize_mode(index: pd.DataFrame) -> str:
    """The geometry of an index's images (its ``resize`` column; ``squash`` without one)."""
    return str(index["resize"].iloc[0]) if "resize" in index.columns and len(index) else "squash"


def _check_files_exist(frame: pd.DataFrame, source: str) -> None:
    for path in frame["path"]:
        if not Path(path).is_file():
            raise DataError(f"{source}: image file {path} does not exist")
    for joined in frame["mask_path"]:
        for path in split_masks(joined):
            if not Path(path).is_file():
                raise DataError(f"{source}: mask file {path} does not exist")


def split_masks(joined: str) -> list[str]:
    """The mask paths of one row (``""`` -> ``[]``)."""
    return [p for p in joined.split(MASK_SEPARATOR) if p]


def write_index(rows: list[dict], out: str | Path, source: str, pixel_masks: bool = True) -> pd.DataFrame:
    """Validate index rows and write them atomically as CSV.

    Args:
        rows: One dict per image with the keys of :data:`COLUMNS` (+ optional columns).
        out: Destination CSV path.
        source: Name used in error messages (the data set folder).
        pixel_masks: Whether every defective image must have a mask (``False``: none may).

    Returns:
        The validated table as written.
    """
    if not rows:
        raise DataError(f"{source}: no images found")
    frame = pd.DataFrame(rows)
    extra = [c for c in OPTIONAL_COLUMNS if c in frame.columns]
    frame = validate_index(frame[COLUMNS + extra], source, pixel_masks=pixel_masks)
    frame = frame.sort_values(["split", "label", "defect_type", "path"], kind="stable")
    with atomic_path(out) as tmp:
        frame.to_csv(tmp, index=False)
    return frame


def read_index(path: str | Path, check_files: bool = True) -> pd.DataFrame:
    """Read and validate ``data/index/<dataset>/<category>.csv``.

    Raises:
        DataError: The file is missing or invalid (see :func:`validate_index`).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: index file does not exist (run `synthad index` first)")
    try:
        frame = pd.read_csv(path, dtype={"mask_path": str, "defect_type": str, "saturation": str},
                            keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a readable index CSV: {exc}") from exc
    return validate_index(frame, str(path), check_files=check_files)
