"""The index CSV: the one description of a category that every later stage reads.

``data/index/<dataset>/<category>.csv`` has one row per image with columns

* ``path``: image file (relative to the working directory or absolute),
* ``split``: ``train`` or ``test``,
* ``label``: 0 defect-free, 1 defective,
* ``defect_type``: ``good`` or the defect folder name,
* ``mask_path``: ground-truth mask(s) of a defective image, several joined with ``;`` (MVTec LOCO
  has one mask per defect instance); empty for defect-free images,
* ``anomaly_kind`` (optional): ``logical`` / ``structural`` where the data set distinguishes them,
* ``saturation`` (optional, MVTec LOCO): the sPRO saturation of each mask, ``;``-joined in the
  order of ``mask_path``: ``rel:<fraction of the defect area>`` or ``abs:<pixels>`` (original
  resolution), from the data set's ``defects_config.json``.

Layout adapters (:mod:`synthad.data.layouts`) produce the rows; :func:`write_index` checks them
and :func:`read_index` checks them again when a stage starts, so a broken index fails early with
the file named.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from synthad.errors import DataError
from synthad.utils.io import atomic_path

COLUMNS = ["path", "split", "label", "defect_type", "mask_path"]
OPTIONAL_COLUMNS = ["anomaly_kind", "saturation"]
MASK_SEPARATOR = ";"


def validate_index(frame: pd.DataFrame, source: str, check_files: bool = True) -> pd.DataFrame:
    """Check an index table and normalise its dtypes.

    Args:
        frame: The table (columns :data:`COLUMNS`, optionally ``anomaly_kind``).
        source: File or data set name used in error messages.
        check_files: Also check that every image and mask file exists.

    Returns:
        The table with ``label`` as int and ``mask_path`` as str ("" when absent).

    Raises:
        DataError: A column is missing, a split is empty, a label is not 0/1, a defective image
            has no mask, or (with ``check_files``) a file is missing.
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
    no_mask = frame[(frame["label"] == 1) & (frame["mask_path"] == "")]
    if len(no_mask):
        raise DataError(f"{source}: defective image {no_mask['path'].iloc[0]} has no mask")
    if "saturation" in frame.columns:
        _check_saturation(frame, source)
    if check_files:
        _check_files_exist(frame, source)
    return frame


def _check_saturation(frame: pd.DataFrame, source: str) -> None:
    """Every defective row has one saturation entry per mask (sPRO needs them pairwise)."""
    frame["saturation"] = frame["saturation"].fillna("").astype(str)
    for path, masks, sats in zip(frame["path"], frame["mask_path"], frame["saturation"], strict=True):
        if len(split_masks(sats)) != len(split_masks(masks)):
            raise DataError(f"{source}: image {path} has {len(split_masks(masks))} mask(s) but "
                            f"{len(split_masks(sats))} saturation entr(ies)")


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


def write_index(rows: list[dict], out: str | Path, source: str) -> pd.DataFrame:
    """Validate index rows and write them atomically as CSV.

    Args:
        rows: One dict per image with the keys of :data:`COLUMNS` (+ optional columns).
        out: Destination CSV path.
        source: Name used in error messages (the data set folder).

    Returns:
        The validated table as written.
    """
    if not rows:
        raise DataError(f"{source}: no images found")
    frame = pd.DataFrame(rows)
    extra = [c for c in OPTIONAL_COLUMNS if c in frame.columns]
    frame = validate_index(frame[COLUMNS + extra], source)
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
