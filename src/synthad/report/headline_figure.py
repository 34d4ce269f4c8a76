"""A PNG of the report's first table, the picture of the report a README can show.

GitHub renders no HTML report inline, so ``synthad results-doc --figure`` draws the headline
tables (:func:`.results_doc.headline_tables`: every method against the naive baseline, mean ± std
over seeds) as a table image: one panel per data set, the baseline row shaded, the best method of
each column in bold, as in ``reports/report.html``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no display on CI machines or compute nodes
import matplotlib.pyplot as plt  # noqa: E402

from synthad.report.grid import Grid, cell_text  # noqa: E402
from synthad.report.headline import BASELINE  # noqa: E402
from synthad.utils.io import atomic_path  # noqa: E402

ROW_INCHES = 0.22  # height of one table row
HEADER_COLOUR, BASELINE_COLOUR = "#dde3ee", "#f1f1f1"


def _draw(ax, grid: Grid) -> None:
    """Draw one headline grid into ``ax`` (axis hidden)."""
    ax.axis("off")
    text = [[r.label, *(cell_text(c, grid.decimals) for c in r.cells)] for r in grid.rows]
    table = ax.table(cellText=text, colLabels=grid.header, loc="center", cellLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    table.auto_set_column_width(list(range(len(grid.header))))
    for (row, col), cell in table.get_celld().items():
        cell.set_edgecolor("#bbbbbb")
        if row == 0:
            cell.set_facecolor(HEADER_COLOUR)
            cell.set_text_props(weight="bold")
            continue
        source = grid.rows[row - 1]
        if source.label.startswith(BASELINE):
            cell.set_facecolor(BASELINE_COLOUR)
        if col > 0 and source.cells[col - 1].bold:
            cell.set_text_props(weight="bold")
        if col == 0:
            cell.set_text_props(ha="left")
    table.scale(1, 1.25)
    ax.set_title(grid.caption, fontsize=10)


def write_headline_figure(grids: list[Grid], out: Path, title: str) -> None:
    """Draw each grid as a table, one panel per grid stacked vertically, into the PNG ``out``.

    ``title`` heads the picture as the report's title heads its first screen.
    """
    heights = [ROW_INCHES * (len(g.rows) + 3) for g in grids]
    fig, axes = plt.subplots(len(grids), 1, figsize=(7, sum(heights) + 0.4), squeeze=False,
                             gridspec_kw={"height_ratios": heights}, layout="constrained")
    fig.suptitle(title, fontsize=12, weight="bold")
    for ax, grid in zip(axes[:, 0], grids, strict=True):
        _draw(ax, grid)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
