"""The claimed numbers of the papers, as typed objects (what one claims YAML file becomes).

A claims file transcribes one printed table. Its grid (``columns`` x ``rows``) is kept as printed;
every data cell is addressed by four coordinates, each given by the table, its column or its row
(never by both a column and a row):

* ``dataset``: a registry key (``mvtec_ad``...) or, for a data set we have no entry for, its name
  as printed (the file then explains it in ``dataset_note``);
* ``category``: the data set's category key, or ``mean`` for a number that is itself an average
  over the data set's categories (ablation tables print only such numbers);
* ``entry``: the compared method or ablation variant (the table's ``entries``; the ``row`` of the
  long frame), with the ``method`` key of ours and the Config ``overrides`` of a variant;
* ``metric`` (one number per cell) or ``tuple`` (a printed ``(a, b, c)`` cell: one metric each).

Printed averages and standard deviations are :class:`PrintedSummary` objects, never data cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

PAPERS = ("dmp", "ndpnet", "imm_alm", "realnet", "slsg")
METHODS = ("dmp", "ndpnet", "imm_alm", "realnet", "slsg", "draem", "patchcore")
# Methods being written while these files were made: their override names are descriptive guesses.
TENTATIVE_METHODS = ("imm_alm", "slsg")

# metric key -> level; the keys follow synthad.evaluation where the metric exists there.
METRIC_LEVELS = {
    "image_auroc": "image", "image_ap": "image",
    "image_auroc_logical": "image", "image_auroc_structural": "image",
    "pixel_auroc": "pixel", "pixel_ap": "pixel", "pixel_aupro": "pixel", "pixel_spro": "pixel",
    "inference_ms": "cost", "inference_fps": "cost", "model_size_gb": "cost",
}
UNITS = ("percent", "fraction", "ms", "fps", "GB")
MEAN_CATEGORY = "mean"
# Category keys of printed summaries (averages over all or part of the categories, and spreads).
SUMMARY_CATEGORIES = ("mean", "texture_mean", "object_mean", "std")
STATISTICS = ("mean", "std")


@dataclass(frozen=True)
class Metric:
    """A metric as one table prints it.

    Attributes:
        key: Metric key (:data:`METRIC_LEVELS`).
        level: ``image``, ``pixel`` or ``cost``.
        unit: One of :data:`UNITS` (``percent``: 0-100, ``fraction``: 0-1).
        printed_as: The column or cell header in the paper.
        note: What the paper means by it, where that needs saying.
    """

    key: str
    level: str
    unit: str
    printed_as: str
    note: str = ""


@dataclass(frozen=True)
class Entry:
    """One compared method or ablation variant (a ``row`` of the long frame).

    Attributes:
        key: Key unique in the table.
        label: As printed.
        method: Our method key (:data:`METHODS`) when the entry is ours or a variant of ours,
            else ``None`` (a claim-only row).
        overrides: Config fields of ``method`` that make the variant. A dotted key names another
            ``params.yaml`` section (e.g. ``synthesis.sdas.strength_min``).
        tentative: The override names are descriptive guesses (method not written yet).
        implemented: ``False`` when our code cannot express the variant (reported as claim-only).
        source: Where the paper took the numbers from, when not its own run.
        note: Anything else about the entry.
    """

    key: str
    label: str
    method: str | None = None
    overrides: dict = field(default_factory=dict)
    tentative: bool = False
    implemented: bool = True
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class GridCell:
    """One printed data cell, resolved.

    Attributes:
        row: Row index in the printed grid (0-based, data rows only).
        col: Column index (0-based).
        dataset: Data set key or printed name.
        category: Category key, or ``mean``.
        entry: Entry key.
        metrics: One metric key per value (length 1 for a plain number).
        values: The printed numbers (``None`` for a blank or "-" cell).
        note: Row note (e.g. why a metric was re-mapped for this row).
    """

    row: int
    col: int
    dataset: str
    category: str
    entry: str
    metrics: tuple[str, ...]
    values: tuple[float | None, ...]
    note: str = ""


@dataclass(frozen=True)
class PrintedSummary:
    """A printed average (or standard deviation) row or column.

    Attributes:
        label: As printed ("Average", "Mean", "Texture Mean"...).
        category: Category key it is filed under (:data:`SUMMARY_CATEGORIES`).
        axis: ``rows``: one printed row, ``values`` aligned with the columns, summarising the data
            rows; ``columns``: one printed column, aligned with the rows.
        over: Categories it summarises (all categories of the grid when the file omits it).
        statistic: ``mean`` or ``std`` (population standard deviation, ddof 0).
        tolerance: Allowed ``|computed - printed|`` in the table's unit.
        values: One printed cell per column (``axis: rows``) or per row (``axis: columns``).
        cells: The resolved summary cells (category = ``category``), one per printed value.
        check: ``False`` when the numbers it summarises are not in this table.
        mismatches: Entry key -> why the printed value disagrees with the transcribed cells.
        dataset: Data set of the summary when it differs from the cells'.
    """

    label: str
    category: str
    axis: str
    over: tuple[str, ...]
    statistic: str
    tolerance: float
    values: tuple
    cells: tuple[GridCell, ...]
    check: bool = True
    mismatches: dict = field(default_factory=dict)
    dataset: str | None = None


@dataclass(frozen=True)
class ClaimTable:
    """One transcribed paper table.

    Attributes:
        path: The YAML file.
        paper: Paper key (:data:`PAPERS`).
        table: Table id as printed ("1", "II", "5a", "S1").
        caption: Short caption.
        source: Where in the paper (section, table).
        dataset: Default data set of the cells.
        resolution: Image resolution of the paper's runs (as stated, or why unknown).
        protocol: Protocol notes: checkpoint selection, what "AP" means, image score...
        notes: Transcription notes (ambiguities resolved, discrepancies seen).
        metrics: Metric key -> :class:`Metric`.
        entries: Entry key -> :class:`Entry`.
        cells: Every data cell, row-major.
        summaries: The printed averages.
        n_rows: Data rows of the grid.
        n_cols: Columns of the grid.
        relative_to: Entry whose value the cells are differences to (``None``: absolute values).
    """

    path: Path
    paper: str
    table: str
    caption: str
    source: str
    dataset: str
    resolution: str
    protocol: dict
    notes: tuple[str, ...]
    metrics: dict
    entries: dict
    cells: tuple[GridCell, ...]
    summaries: tuple[PrintedSummary, ...]
    n_rows: int
    n_cols: int
    relative_to: str | None = None

    @property
    def key(self) -> str:
        """``<paper>/<table>``, unique over all files."""
        return f"{self.paper}/{self.table}"

    def cell(self, row: int, col: int) -> GridCell:
        """The data cell at ``(row, col)`` of the printed grid."""
        return self.cells[row * self.n_cols + col]
