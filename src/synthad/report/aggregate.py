"""Collect every run's ``metrics.json`` into one long table (``results/metrics.csv``).

Columns: ``dataset, category, method, seed, metric, value`` -- one row per numeric field of each
``metrics.json`` (metrics and counts such as ``n_test_images``) and of the ``timing.json`` beside it
(the cost figures, kept apart so that ``metrics.json`` is byte-stable). Non-numeric fields
(``device``) are identification, not measurements, and are left out; ``null`` (an undefined
metric) becomes NaN so the row is kept and tables show "--". A metric the run did not measure is
absent from ``metrics.json`` (every pixel metric of a data set without pixel masks) and so has no
row: tables show ``n/a`` (:func:`.statistics.measured`).

``method`` is the name of the run's folder (``<method>/seed<k>/metrics.json``) when the file lies in
such a layout: ``metrics.json`` records the registry key the model was built with, which for an
ablation variant (``params.yaml`` ``variants``) is its base method's, while the folder carries the
variant's own name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from synthad.errors import DataError
from synthad.utils.io import atomic_path, read_json_object

KEYS = ["dataset", "category", "method", "seed"]
COLUMNS = KEYS + ["metric", "value"]
_SEED_DIR = re.compile(r"seed\d+")


def find_metrics_files(runs_dir: str | Path) -> list[Path]:
    """Every ``metrics.json`` below ``runs_dir`` (``<dataset>/<category>/<method>/seed<k>/``), sorted.

    Raises:
        DataError: ``runs_dir`` does not exist.
    """
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        raise DataError(f"{runs_dir}: runs folder does not exist (run `synthad evaluate` first)")
    return sorted(runs_dir.rglob("metrics.json"))


def read_metrics_file(path: str | Path) -> list[dict]:
    """Rows of the long table for one ``metrics.json`` and the ``timing.json`` beside it (if any).

    Raises:
        DataError: A file is unreadable, not a JSON object, or ``metrics.json`` lacks an
            identifying key.
    """
    path = Path(path)
    data = read_json_object(path)
    timing = path.parent / "timing.json"
    if timing.is_file():
        data |= {k: v for k, v in read_json_object(timing).items() if k not in KEYS}
    missing = [k for k in KEYS if data.get(k) is None]
    if missing:
        raise DataError(f"{path}: lacks identifying key(s) {', '.join(missing)}")
    ident = {k: data[k] for k in KEYS} | {"method": run_method(path, data["method"])}
    rows = []
    for metric, value in data.items():
        if metric in KEYS or isinstance(value, bool) or not isinstance(value, int | float | None):
            continue
        rows.append(ident | {"metric": metric, "value": math.nan if value is None else float(value)})
    return rows


def run_method(path: Path, recorded: str) -> str:
    """The ``methods`` name of the run whose ``metrics.json`` is ``path``.

    Its folder's name in the ``<method>/seed<k>/`` layout (a variant's name), else the recorded
    registry key.
    """
    return path.parent.parent.name if _SEED_DIR.fullmatch(path.parent.name) else recorded


def collect(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Long table of several ``metrics.json`` files, sorted by its key columns.

    Args:
        paths: ``metrics.json`` files.

    Returns:
        DataFrame with :data:`COLUMNS` (``seed`` int, ``value`` float).

    Raises:
        DataError: No file given, or two files describe the same dataset/category/method/seed.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise DataError("aggregate: no metrics.json files given")
    seen: dict[tuple, Path] = {}
    rows = []
    for path in paths:
        file_rows = read_metrics_file(path)
        key = tuple(file_rows[0][k] for k in KEYS) if file_rows else None
        if key is not None and key in seen:
            raise DataError(f"{path}: describes the same run {key} as {seen[key]}")
        seen[key] = path
        rows += file_rows
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["seed"] = frame["seed"].astype(int)
    return frame.sort_values(KEYS + ["metric"], kind="stable").reset_index(drop=True)


def write_metrics_csv(frame: pd.DataFrame, out: str | Path) -> None:
    """Write the long table atomically."""
    with atomic_path(out) as tmp:
        frame.to_csv(tmp, index=False)


def read_metrics_csv(path: str | Path) -> pd.DataFrame:
    """Read ``results/metrics.csv`` back, checking its columns.

    Raises:
        DataError: Missing file or columns.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: metrics table does not exist (run `synthad aggregate` first)")
    try:
        frame = pd.read_csv(path, dtype={"dataset": str, "category": str, "method": str, "metric": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: not a readable metrics CSV: {exc}") from exc
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: lacks column(s) {', '.join(missing)}")
    return frame
