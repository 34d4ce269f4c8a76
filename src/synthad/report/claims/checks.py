"""Does a transcription reproduce the averages the paper prints?

For each printed summary (:class:`~.schema.PrintedSummary`) and each of its numbers, the same
statistic is computed from the transcribed cells it summarises and compared with the printed value
within the summary's tolerance. A cell left blank in the paper makes that comparison impossible
(it is reported as not comparable, never as a pass). A disagreement the paper itself contains is
listed in the file (``mismatches``) and must still disagree: a listed mismatch that matches means
the note is stale or the transcription changed.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from synthad.report.claims.schema import ClaimTable, PrintedSummary


@dataclass(frozen=True)
class MeanCheck:
    """One printed summary number against the value computed from the transcription.

    Attributes:
        table: ``<paper>/<table>``.
        summary: The summary's printed label.
        entry: Entry key of the summarised cells.
        metric: Metric key.
        printed: The printed value.
        computed: The statistic of the transcribed cells (``None``: a cell is blank).
        n: Number of cells summarised.
        tolerance: Allowed absolute difference.
        expected_mismatch: The file says the paper disagrees with itself here (the reason).
    """

    table: str
    summary: str
    entry: str
    metric: str
    printed: float | None
    computed: float | None
    n: int
    tolerance: float
    expected_mismatch: str = ""

    @property
    def comparable(self) -> bool:
        """Both numbers exist."""
        return self.printed is not None and self.computed is not None

    @property
    def agrees(self) -> bool:
        """``|computed - printed| <= tolerance`` (with a hair of float slack)."""
        return self.comparable and abs(self.computed - self.printed) <= self.tolerance + 1e-9

    @property
    def ok(self) -> bool:
        """Agrees, or disagrees exactly where the file says the paper does."""
        return self.agrees != bool(self.expected_mismatch) if self.comparable else True

    def __str__(self) -> str:
        got = "n/a" if self.computed is None else f"{self.computed:.4f}"
        return (f"{self.table} {self.summary!r} {self.entry}/{self.metric}: printed {self.printed}, "
                f"transcribed cells give {got} (n={self.n}, tol {self.tolerance})"
                + (f" [paper mismatch: {self.expected_mismatch}]" if self.expected_mismatch else ""))


def _stat(values: list[float], statistic: str) -> float:
    return statistics.fmean(values) if statistic == "mean" else statistics.pstdev(values)


def _expected(summary: PrintedSummary, entry: str, metric: str) -> str:
    """The file's reason for a known paper mismatch (keyed ``entry/metric`` or ``entry``), or ""."""
    return str(summary.mismatches.get(f"{entry}/{metric}", summary.mismatches.get(entry, "")))


def _members(table: ClaimTable, summary: PrintedSummary, n: int) -> list:
    """The grid cells summarised by the ``n``-th printed value."""
    if summary.axis == "rows":
        line = [table.cell(i, n) for i in range(table.n_rows)]
    else:
        line = [table.cell(n, j) for j in range(table.n_cols)]
    return [c for c in line if c.category in summary.over]


def check_summary(table: ClaimTable, summary: PrintedSummary) -> list[MeanCheck]:
    """Compare every number of one printed summary with the transcribed cells.

    Args:
        table: The table.
        summary: One of ``table.summaries`` with ``check`` set.

    Returns:
        One :class:`MeanCheck` per printed number (per metric of a tuple cell).
    """
    out = []
    for n, printed_cell in enumerate(summary.cells):
        members = _members(table, summary, n)
        for k, metric in enumerate(printed_cell.metrics):
            values = [c.values[k] for c in members]
            computed = None if not values or None in values else _stat(values, summary.statistic)
            out.append(MeanCheck(table.key, summary.label, printed_cell.entry, metric,
                                 printed_cell.values[k], computed, len(values), summary.tolerance,
                                 _expected(summary, printed_cell.entry, metric)))
    return out


def check_table(table: ClaimTable) -> list[MeanCheck]:
    """All checks of a table's printed summaries (those with ``check`` set)."""
    return [c for s in table.summaries if s.check for c in check_summary(table, s)]
