"""The VisA layout, read through its official one-class split ``split_csv/1cls.csv``.

The CSV has columns ``object,split,label,image,mask`` with paths relative to the data root and
labels ``normal`` / ``anomaly``. VisA masks store class indices (not 0/255); the loader treats
every non-zero pixel as defective, which is the binary ground truth.
"""

from __future__ import annotations

import csv
from pathlib import Path

from synthad.data.layouts.common import row
from synthad.errors import DataError

SPLIT_CSV = Path("split_csv") / "1cls.csv"
COLUMNS = ("object", "split", "label", "image", "mask")
LABELS = {"normal": 0, "anomaly": 1}


def rows_visa(root: Path, category: str) -> list[dict]:
    """Index rows of one VisA category from ``root/split_csv/1cls.csv``.

    Raises:
        DataError: The CSV is missing or malformed, the category has no rows, a label is unknown
            or an anomalous image has no mask.
    """
    root = Path(root)
    records = [r for r in _read_split(root / SPLIT_CSV) if r["object"] == category]
    if not records:
        raise DataError(f"{root / SPLIT_CSV}: no rows for category {category!r}")
    return [_row(root, r, i + 2) for i, r in enumerate(records)]


def _read_split(path: Path) -> list[dict]:
    if not path.is_file():
        raise DataError(f"{path}: VisA split file does not exist")
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"{path}: lacks column(s) {', '.join(missing)}")
        return list(reader)


def _row(root: Path, record: dict, line: int) -> dict:
    label = LABELS.get(record["label"].strip())
    where = f"{root / SPLIT_CSV} line {line}"
    if label is None:
        raise DataError(f"{where}: unknown label {record['label']!r}; expected normal/anomaly")
    if record["split"] not in ("train", "test"):
        raise DataError(f"{where}: unknown split {record['split']!r}; expected train/test")
    mask = (record["mask"] or "").strip()
    if label and not mask:
        raise DataError(f"{where}: anomalous image {record['image']} has no mask")
    masks = [root / mask] if label else []
    return row(root / record["image"], record["split"], label, "anomaly" if label else "good", masks)
