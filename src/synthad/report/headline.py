"""The report's first screen: every method against the naive baseline, then the papers' claims against ours.

Both tables are derived from grids the ``tables`` stage wrote (so they print exactly its numbers):

* :func:`headline_grid`: the ``mean`` block of a unified table (each method's mean over the
  categories of a data set), the naive baseline ``mean_image`` first, so a reader sees at once
  what the synthetic-anomaly methods add over the distance to the mean training image;
* :func:`claims_summary_grid`: one row per paper table where our runs sit beside printed
  numbers (the paper's data set ran): how many numbers were compared, how many lie within
  ``delta_close`` points, between ``delta_close`` and ``delta_far`` below, or further below the
  claim, and the mean delta of the percent values. ``None`` when no paper data set ran.
"""

from __future__ import annotations

import math

import pandas as pd

from synthad.config import ReportConfig
from synthad.report.grid import Cell, Grid, Row
from synthad.report.statistics import MEAN_ROW

BASELINE = "mean_image"  # the naive baseline of the method registry
BANDS = ("close", "mid", "far")


def _split(label: str) -> tuple[str, str]:
    """``"bottle: draem"`` -> ``("bottle", "draem")`` (a unified-table row label)."""
    category, _, method = label.partition(": ")
    return category, method


def categories_of(unified: Grid) -> list[str]:
    """The categories of a unified table, in its order (the ``mean`` block left out)."""
    return list(dict.fromkeys(c for c, _ in map(_split, (r.label for r in unified.rows)) if c != MEAN_ROW))


def headline_grid(unified: Grid) -> Grid:
    """The ``mean`` block of a unified table, baseline first (module docstring); its notes kept."""
    block = [r for r in unified.rows if _split(r.label)[0] == MEAN_ROW]
    block.sort(key=lambda r: _split(r.label)[1] != BASELINE)  # stable: the others keep their order
    rows = [
        Row(f"{method} (naive baseline)" if method == BASELINE else method, r.cells)
        for r in block for method in [_split(r.label)[1]]
    ]
    dataset = unified.key.removeprefix("unified_")
    names = categories_of(unified)
    over = names[0] if len(names) == 1 else f"the {len(names)} categories"
    notes = [] if any(_split(r.label)[1] == BASELINE for r in block) else [
        f"The naive baseline {BASELINE} did not run on {dataset}: add it to `methods` in params.yaml "
        "to see what the methods add over it."]
    return Grid(f"headline_{dataset}", f"{dataset}: every method on {over}, mean ± std over seeds",
                ["method", *unified.header[1:]], rows, notes + unified.notes, unified.decimals)


def _compared(grid: Grid) -> dict[str, int]:
    """Count the printed numbers with ours beside them, and per colour band."""
    counts = dict.fromkeys(("compared", "", *BANDS), 0)  # "": no band (a cost, not a percentage)
    for cell in (c for row in grid.rows for c in row.cells):
        for delta, colour in zip(cell.delta or [], cell.bands or [""] * len(cell.delta or []), strict=True):
            if delta is not None and math.isfinite(delta):
                counts["compared"] += 1
                counts[colour] += colour in BANDS
    return counts


def claims_summary_grid(papers: list[Grid], overview: pd.DataFrame, config: ReportConfig) -> Grid | None:
    """One row per paper table with compared numbers (module docstring); ``None`` when there is none.

    Args:
        papers: The paper-table grids (``papers/paper_*.json``).
        overview: ``papers/overview.csv`` (``key``, ``paper``, ``table``, ``numbers``, ``mean_delta_pp``).
        config: The colour thresholds, for the column titles (the bands were set by ``tables``).
    """
    by_key = overview.set_index("key")
    rows = []
    for grid in papers:
        counts = _compared(grid)
        if not counts["compared"] or grid.key not in by_key.index:
            continue
        info = by_key.loc[grid.key]
        values = [counts["compared"], info["numbers"], *(counts[b] for b in BANDS), info["mean_delta_pp"]]
        cells = [Cell(ours=[float(v)], decimals=0) for v in values[:-1]]
        cells.append(Cell(ours=[float(values[-1])], decimals=1))
        rows.append(Row(f"{info['paper']} Table {info['table']}", cells))
    if not rows:
        return None
    close, far = f"{config.delta_close:g}", f"{config.delta_far:g}"
    header = ["paper table", "ours beside", "printed", f"within {close} pp or above",
              f"{close}–{far} pp below", f"over {far} pp below", "mean Δ [pp]"]
    notes = ["Where a paper's data set ran: the printed numbers that have ours beside them, by how far "
             "ours falls below the claim (the colours of the paper tables further down); mean Δ = mean "
             "of ours − claimed over the percent values."]
    return Grid("claims_summary", "The papers' claims against our runs", header, rows, notes, 1)
