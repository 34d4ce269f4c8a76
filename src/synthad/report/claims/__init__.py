"""The papers' claimed numbers as data: one YAML file per printed table (README.md in this folder).

``load_claims()`` reads and validates every file; ``claims_frame()`` flattens them into one long
table with one row per claimed number, addressed by (paper, table, dataset, category, row, metric),
ready to be joined with the reproduced numbers of ``results/metrics.csv``. Rows whose ``method`` is
one of ours (with the ``overrides`` of an ablation variant) can be reproduced; the others are
claim-only.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from synthad.errors import DataError
from synthad.report.claims.checks import MeanCheck, check_summary, check_table
from synthad.report.claims.loader import load_table, overrides_json
from synthad.report.claims.schema import ClaimTable, Entry, GridCell, Metric, PrintedSummary

__all__ = ["CLAIMS_DIR", "ClaimTable", "Entry", "GridCell", "MeanCheck", "Metric", "PrintedSummary",
           "check_summary", "check_table", "claims_frame", "load_claims", "load_table"]

CLAIMS_DIR = Path(__file__).parent
FRAME_COLUMNS = ["paper", "table", "dataset", "category", "row", "label", "method", "overrides",
                 "tentative", "implemented", "metric", "level", "unit", "value", "kind", "notes"]


def load_claims(folder: str | Path | None = None) -> list[ClaimTable]:
    """Read and validate every ``*.yaml`` claims file of a folder.

    Args:
        folder: Folder of claims files; the packaged ones when ``None``.

    Returns:
        The tables, sorted by file name.

    Raises:
        DataError: A file is invalid (the message names it), the folder holds no file, or two
            files transcribe the same paper table.
    """
    folder = Path(folder) if folder is not None else CLAIMS_DIR
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise DataError(f"{folder}: no claims file (*.yaml)")
    tables, seen = [], {}
    for path in paths:
        table = load_table(path)
        if table.key in seen:
            raise DataError(f"{path}: table {table.key} is already transcribed in {seen[table.key]}")
        seen[table.key] = path
        tables.append(table)
    return tables


def _rows(table: ClaimTable, cell: GridCell, kind: str):
    entry = table.entries[cell.entry]
    relative = f"difference to row {table.relative_to!r}, not an absolute value" if table.relative_to else ""
    notes = "; ".join(n for n in (relative, entry.source, entry.note, cell.note) if n)
    for metric, value in zip(cell.metrics, cell.values, strict=True):
        yield {"paper": table.paper, "table": table.table, "dataset": cell.dataset, "category": cell.category,
               "row": cell.entry, "label": entry.label, "method": entry.method,
               "overrides": overrides_json(entry), "tentative": entry.tentative,
               "implemented": entry.implemented and entry.method is not None, "metric": metric,
               "level": table.metrics[metric].level, "unit": table.metrics[metric].unit, "value": value,
               "kind": kind, "notes": notes}


def claims_frame(tables: list[ClaimTable] | None = None) -> pd.DataFrame:
    """Every claimed number as one long table.

    Args:
        tables: Tables to flatten; :func:`load_claims` when ``None``.

    Returns:
        DataFrame with columns :data:`FRAME_COLUMNS`: ``row`` is the entry key (the compared method
        or variant), ``method`` our method key or ``None`` (claim-only), ``overrides`` canonical
        JSON of the variant's Config overrides, ``kind`` ``value`` for a transcribed cell or
        ``printed_mean`` / ``printed_std`` for a printed summary (category ``mean``,
        ``texture_mean``, ``object_mean`` or ``std``), ``value`` the number as printed in the
        table's ``unit`` (``NaN`` for a blank cell).
    """
    tables = load_claims() if tables is None else tables
    records = []
    for table in tables:
        for cell in table.cells:
            records.extend(_rows(table, cell, "value"))
        for summary in table.summaries:
            for cell in summary.cells:
                records.extend(_rows(table, cell, f"printed_{summary.statistic}"))
    frame = pd.DataFrame.from_records(records, columns=FRAME_COLUMNS)
    frame["value"] = frame["value"].astype(float)
    return frame
