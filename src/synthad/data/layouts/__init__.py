"""Layout adapters: one function per folder convention turning a category into index rows.

Every adapter is ``rows_<layout>(root, category) -> list[dict]`` with the columns of
:mod:`synthad.data.index`; paths are ``root``-joined as found (``str(Path)``). Later stages read
only the index, so supporting a new data set means adding one adapter here.
:data:`IMAGE_LEVEL_LAYOUTS` holds the adapters that can index a data set without pixel masks
(``pixel_masks: false``): only the user's own ``folder`` data; every registered data set has masks.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import pandas as pd

from synthad.data.index import write_index
from synthad.data.layouts.dagm import rows_dagm
from synthad.data.layouts.loco import rows_mvtec_loco
from synthad.data.layouts.mvtec import rows_btad, rows_demo, rows_folder, rows_mvtec, rows_rto
from synthad.data.layouts.visa import rows_visa
from synthad.data.registry import DatasetSpec, resolve_categories
from synthad.errors import DataError

LAYOUTS: dict[str, Callable[[Path, str], list[dict]]] = {
    "mvtec": rows_mvtec,
    "folder": rows_folder,
    "btad": rows_btad,
    "demo": rows_demo,
    "mvtec_loco": rows_mvtec_loco,
    "visa": rows_visa,
    "dagm": rows_dagm,
    "rto": rows_rto,
}
IMAGE_LEVEL_LAYOUTS: dict[str, Callable[[Path, str], list[dict]]] = {
    "folder": partial(rows_folder, pixel_masks=False),
}

__all__ = [
    "IMAGE_LEVEL_LAYOUTS", "LAYOUTS", "build_index", "check_pixel_masks", "rows_btad", "rows_dagm",
    "rows_demo", "rows_folder", "rows_mvtec", "rows_mvtec_loco", "rows_rto", "rows_visa",
]


def check_pixel_masks(spec: DatasetSpec, pixel_masks: bool) -> None:
    """Refuse ``pixel_masks: false`` for a data set whose layout has masks (every registered one).

    Raises:
        DataError: ``pixel_masks`` is false and the layout has no image-level adapter.
    """
    if not pixel_masks and spec.layout not in IMAGE_LEVEL_LAYOUTS:
        raise DataError(f"data set {spec.key!r} has pixel masks; pixel_masks: false is only for "
                        f"source {', '.join(IMAGE_LEVEL_LAYOUTS)} (your own OK/NG images)")


def build_index(spec: DatasetSpec, root: Path | str, category: str, out_csv: Path | str,
                resize: str = "squash", pixel_masks: bool = True) -> pd.DataFrame:
    """Write ``out_csv``, the index of one category of a data set.

    Args:
        spec: The data set (its ``layout`` picks the adapter).
        root: Data root (``root`` of ``source.json``).
        category: One category of the data set.
        out_csv: Destination, usually ``data/index/<dataset>/<category>.csv``.
        resize: The data set's geometry (:mod:`synthad.utils.geometry`), written as the ``resize``
            column unless it is the default ``squash``.
        pixel_masks: ``False``: an image-level index (no mask listed or needed, see
            :data:`IMAGE_LEVEL_LAYOUTS`); ``True``: every defective image must have its mask.

    Returns:
        The validated table as written.

    Raises:
        UnknownNameError: ``category`` does not exist.
        DataError: The data set is not indexable, has masks but ``pixel_masks`` is false, or the
            folder is inconsistent.
    """
    root = Path(root)
    if spec.is_anomaly_source or spec.layout not in LAYOUTS:
        raise DataError(f"data set {spec.key!r} (layout {spec.layout!r}) is not indexed; "
                        "it is an anomaly source or has no layout adapter")
    check_pixel_masks(spec, pixel_masks)
    resolve_categories(spec, [category], root)
    rows = (LAYOUTS if pixel_masks else IMAGE_LEVEL_LAYOUTS)[spec.layout](root, category)
    if resize != "squash":
        rows = [row | {"resize": resize} for row in rows]
    return write_index(rows, out_csv, source=f"{spec.key}/{category} ({root})", pixel_masks=pixel_masks)
