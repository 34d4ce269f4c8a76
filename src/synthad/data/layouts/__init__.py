"""Layout adapters: one function per folder convention turning a category into index rows.

Every adapter is ``rows_<layout>(root, category) -> list[dict]`` with the columns of
:mod:`synthad.data.index`; paths are ``root``-joined as found (``str(Path)``). Later stages read
only the index, so supporting a new data set means adding one adapter here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from synthad.data.index import write_index
from synthad.data.layouts.dagm import rows_dagm
from synthad.data.layouts.loco import rows_mvtec_loco
from synthad.data.layouts.mvtec import rows_btad, rows_demo, rows_mvtec, rows_rto
from synthad.data.layouts.visa import rows_visa
from synthad.data.registry import DatasetSpec, resolve_categories
from synthad.errors import DataError

LAYOUTS: dict[str, Callable[[Path, str], list[dict]]] = {
    "mvtec": rows_mvtec,
    "btad": rows_btad,
    "demo": rows_demo,
    "mvtec_loco": rows_mvtec_loco,
    "visa": rows_visa,
    "dagm": rows_dagm,
    "rto": rows_rto,
}

__all__ = [
    "LAYOUTS", "build_index", "rows_btad", "rows_dagm", "rows_demo", "rows_mvtec", "rows_mvtec_loco",
    "rows_rto", "rows_visa",
]


def build_index(spec: DatasetSpec, root: Path | str, category: str, out_csv: Path | str) -> pd.DataFrame:
    """Write ``out_csv``, the index of one category of a data set.

    Args:
        spec: The data set (its ``layout`` picks the adapter).
        root: Data root (``root`` of ``source.json``).
        category: One category of the data set.
        out_csv: Destination, usually ``data/index/<dataset>/<category>.csv``.

    Returns:
        The validated table as written.

    Raises:
        UnknownNameError: ``category`` does not exist.
        DataError: The data set is not indexable or the folder is inconsistent.
    """
    root = Path(root)
    if spec.is_anomaly_source or spec.layout not in LAYOUTS:
        raise DataError(f"data set {spec.key!r} (layout {spec.layout!r}) is not indexed; "
                        "it is an anomaly source or has no layout adapter")
    resolve_categories(spec, [category], root)
    rows = LAYOUTS[spec.layout](root, category)
    return write_index(rows, out_csv, source=f"{spec.key}/{category} ({root})")
