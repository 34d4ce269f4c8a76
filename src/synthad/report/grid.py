r"""One table model for the paper tables and the unified table, rendered as CSV, LaTeX and HTML.

A :class:`Grid` is a caption, a header and rows of :class:`Cell` objects, plus footnotes. A cell
holds up to three aligned tuples, one value per printed number (a paper's ``(a, b, c)`` cell has
three): the **claimed** values, **ours** (mean and std over seeds) and **delta** = ours - claimed,
with a colour **band** per value computed when the grid is built:

* ``close``: ours is at most ``delta_close`` below the claim (or above it), green;
* ``mid``: between ``delta_close`` and ``delta_far`` below, orange;
* ``far``: more than ``delta_far`` below, red; ``""`` no colour (no delta, or a cost).

Rendering of one cell (the same in every format): ``claimed`` alone for a claim-only cell;
``claimed / ours +- std / delta`` stacked where we ran it; ``claimed / --`` where it is ours but
not run; ``ours +- std`` in the unified table (no claim); ``n/a`` where the runs could not measure
the metric (``not_measured``: pixel metrics of a data set without pixel masks). A grid serialises
to JSON so that the report stage renders the HTML page from exactly what the tables stage computed.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from synthad.report.table_format import NOT_MEASURED, escape_latex

DASH = "—"
BAND_COLOURS = {"close": "#1a7f37", "mid": "#b35900", "far": "#c62828"}


@dataclass
class Cell:
    """One printed cell (see the module docstring); ``None`` marks an absent part."""

    claimed: list | None = None
    ours: list | None = None
    std: list | None = None
    delta: list | None = None
    bands: list | None = None
    bold: bool = False
    decimals: int | None = None  # overrides the grid's (cost columns)
    not_measured: bool = False  # our runs have no value to give (no pixel masks): "n/a", not "—"


@dataclass
class Row:
    """A labelled row; ``rule`` draws a line above it (before a printed average, a new block)."""

    label: str
    cells: list[Cell]
    rule: bool = False


@dataclass
class Grid:
    """A table: ``header[0]`` titles the label column; ``notes`` are plain-text footnotes."""

    key: str
    caption: str
    header: list[str]
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    decimals: int = 1

    def to_json(self) -> str:
        """The grid as JSON (NaN written as ``null``)."""
        return json.dumps(_clean(asdict(self)), indent=1)

    @classmethod
    def from_json(cls, text: str) -> Grid:
        """Rebuild a grid written by :meth:`to_json`."""
        data = json.loads(text)
        rows = [Row(r["label"], [Cell(**c) for c in r["cells"]], r["rule"]) for r in data.pop("rows")]
        return cls(rows=rows, **data)


def _clean(value):
    if hasattr(value, "item") and not isinstance(value, list | tuple | dict):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def band(delta: float | None, close: float, far: float) -> str:
    """Colour band of one delta (thresholds in the delta's unit)."""
    if delta is None or not math.isfinite(delta):
        return ""
    return "close" if delta >= -close else "mid" if delta > -far else "far"


# --------------------------------------------------------------------------- numbers
def _num(value, decimals: int, sign: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return DASH
    text = f"{value:+.{decimals}f}" if sign else f"{value:.{decimals}f}"
    return text.replace("-", "−") if sign else text


def places(value: float) -> int:
    """Decimal places of a number as written (``99.22`` -> 2; YAML drops trailing zeros)."""
    text = repr(float(value))
    return 0 if "e" in text or text.endswith(".0") else len(text.split(".")[1])


def _claimed(values: list, decimals: int) -> str:
    """Claimed numbers with at least their own printed decimals (a std printed to 3 places keeps 3)."""
    parts = [_num(v, max(decimals, places(v)) if v is not None else decimals) for v in values]
    return parts[0] if len(parts) == 1 else f"({', '.join(parts)})"


def _tuple(values: list, decimals: int, sign: bool = False) -> str:
    parts = [_num(v, decimals, sign) for v in values]
    return parts[0] if len(parts) == 1 else f"({', '.join(parts)})"


def _ours(cell: Cell, decimals: int, pm: str) -> str:
    parts = []
    for mean, std in zip(cell.ours, cell.std or [None] * len(cell.ours), strict=True):
        text = _num(mean, decimals)
        if text != DASH and std is not None and math.isfinite(std):
            text += f"{pm}{_num(std, decimals)}"
        parts.append(text)
    return parts[0] if len(parts) == 1 else f"({', '.join(parts)})"


def _ran(cell: Cell) -> bool:
    return cell.ours is not None and any(v is not None and math.isfinite(v) for v in cell.ours)


def cell_text(cell: Cell, decimals: int) -> str:
    """Plain text: ``"99.8 | 97.1 ± 0.3 | −2.7"``, ``"99.8 | —"`` (ours, not run) or ``"99.8"``."""
    if cell.not_measured:
        return NOT_MEASURED
    decimals = decimals if cell.decimals is None else cell.decimals
    if cell.claimed is None:
        return _ours(cell, decimals, " ± ") if cell.ours is not None else ""
    claimed = _claimed(cell.claimed, decimals)
    if cell.ours is None:
        return claimed
    if not _ran(cell):
        return f"{claimed} | {DASH}"
    return f"{claimed} | {_ours(cell, decimals, ' ± ')} | {_tuple(cell.delta, decimals, sign=True)}"


# --------------------------------------------------------------------------- LaTeX
def _latex_delta(cell: Cell, decimals: int) -> str:
    parts = []
    for delta, colour in zip(cell.delta, cell.bands or [""] * len(cell.delta), strict=True):
        text = _num(delta, decimals, sign=True).replace("−", "$-$").replace(DASH, "--")
        parts.append(rf"\textcolor{{delta{colour}}}{{{text}}}" if colour else text)
    return parts[0] if len(parts) == 1 else f"({', '.join(parts)})"


def cell_latex(cell: Cell, decimals: int) -> str:
    r"""LaTeX of one cell; a reproduced cell is a ``\shortstack`` of claimed, ours and delta."""
    if cell.not_measured:
        return NOT_MEASURED
    decimals = decimals if cell.decimals is None else cell.decimals
    if cell.claimed is None:
        text = _ours(cell, decimals, r"$\pm$").replace(DASH, "--") if cell.ours is not None else ""
        return rf"\textbf{{{text}}}" if cell.bold and text else text
    claimed = _claimed(cell.claimed, decimals).replace(DASH, "--")
    if cell.ours is None:
        return claimed
    if not _ran(cell):
        return rf"\shortstack{{{claimed}\\ \textcolor{{oursgray}}{{--}}}}"
    ours = _ours(cell, decimals, r"$\pm$").replace(DASH, "--")
    return rf"\shortstack{{{claimed}\\ \textcolor{{ours}}{{{ours}}}\\ {_latex_delta(cell, decimals)}}}"


def grid_latex(grid: Grid) -> str:
    r"""A ``table`` environment (booktabs, xcolor; shrunk to the line width when wider).

    The colours ``ours``, ``oursgray``, ``deltaclose``, ``deltamid``, ``deltafar`` are defined
    inside the table when the document has not defined them (so a table compiles on its own).
    """
    cols = len(grid.header)
    lines = [
        r"\begin{table}[p]",
        r"\centering",
        r"\scriptsize",
        *_LATEX_COLOURS,
        rf"\caption{{{escape_latex(grid.caption)}}}",
        rf"\label{{tab:{grid.key}}}",
        r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%",
        rf"\begin{{tabular}}{{l{'c' * (cols - 1)}}}",
        r"\toprule",
        " & ".join(escape_latex(h) for h in grid.header) + r" \\",
        r"\midrule",
    ]
    for row in grid.rows:
        if row.rule:
            lines.append(r"\midrule")
        cells = [cell_latex(c, grid.decimals) for c in row.cells]
        lines.append(" & ".join([escape_latex(row.label)] + cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}}"]
    if grid.notes:
        lines += [r"\par\smallskip\begin{minipage}{\linewidth}\raggedright\tiny"]
        lines += [escape_latex(n) + r"\par" for n in grid.notes]
        lines += [r"\end{minipage}"]
    lines += [r"\end{table}"]
    return "\n".join(lines) + "\n"


_LATEX_COLOURS = [
    rf"\providecolor{{{name}}}{{HTML}}{{{hexa}}}"
    for name, hexa in (
        ("ours", "1F4E9C"),
        ("oursgray", "888888"),
        ("deltaclose", "1A7F37"),
        ("deltamid", "B35900"),
        ("deltafar", "C62828"),
    )
]


# --------------------------------------------------------------------------- CSV / HTML
def grid_rows_text(grid: Grid) -> list[list[str]]:
    """The grid as plain-text rows (header first), for the layout CSV."""
    return [grid.header] + [[r.label] + [cell_text(c, grid.decimals) for c in r.cells] for r in grid.rows]


def write_grid(grid: Grid, folder: Path) -> list[Path]:
    """Write ``<key>.csv`` (layout, plain text), ``<key>.tex`` and ``<key>.json`` into ``folder``."""
    import csv

    paths = [folder / f"{grid.key}.{ext}" for ext in ("csv", "tex", "json")]
    with paths[0].open("w", newline="") as handle:
        csv.writer(handle).writerows(grid_rows_text(grid))
    paths[1].write_text(grid_latex(grid))
    paths[2].write_text(grid.to_json())
    return paths


def _html_values(values: list, decimals: int, cls: str, bands: list | None = None, sign: bool = False) -> str:
    spans = []
    for i, value in enumerate(values):
        colour = BAND_COLOURS.get((bands or [""] * len(values))[i], "")
        style = f' style="color:{colour}"' if colour else ""
        spans.append(f'<span class="{cls}"{style}>{_num(value, decimals, sign)}</span>')
    return spans[0] if len(spans) == 1 else "(" + ", ".join(spans) + ")"


def cell_html(cell: Cell, decimals: int) -> str:
    """HTML of one cell: claimed, ours and delta on separate lines, delta colour-coded."""
    if cell.not_measured:
        return f'<div class="notrun">{NOT_MEASURED}</div>'
    decimals = decimals if cell.decimals is None else cell.decimals
    lines = []
    if cell.claimed is not None:
        lines.append(f'<div class="claimed">{_claimed(cell.claimed, decimals)}</div>')
    if cell.ours is not None and (_ran(cell) or cell.claimed is None):
        bold = " best" if cell.bold else ""
        lines.append(f'<div class="ours{bold}">{html.escape(_ours(cell, decimals, " ± "))}</div>')
        if cell.delta is not None and cell.claimed is not None:
            lines.append(
                '<div class="delta">' + _html_values(cell.delta, decimals, "d", cell.bands, True) + "</div>"
            )
    elif cell.ours is not None:
        lines.append(f'<div class="notrun">{DASH}</div>')
    return "".join(lines)


def grid_html(grid: Grid) -> str:
    """A ``<table>`` with caption and footnotes (classes styled by the report's inline CSS)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in grid.header)
    body = []
    for row in grid.rows:
        cls = ' class="rule"' if row.rule else ""
        cells = "".join(f"<td>{cell_html(c, grid.decimals)}</td>" for c in row.cells)
        body.append(f"<tr{cls}><th>{html.escape(row.label)}</th>{cells}</tr>")
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in grid.notes)
    return (
        f'<figure class="table" id="{html.escape(grid.key)}"><figcaption>{html.escape(grid.caption)}'
        f'</figcaption><div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>'
        + "".join(body)
        + f'</tbody></table></div><ul class="notes">{notes}</ul></figure>'
    )
