"""``docs/results.md``: what a pipeline run measured, as one Markdown page generated from ``results/``.

Numbers typed into a README go stale with the next run; this page is rewritten by
``synthad results-doc`` (``make docs``) from the files the pipeline wrote, through the functions
the report uses, so it prints exactly the report's numbers. Per data set:

1. every method against the naive baseline: the ``mean`` block of the unified table
   (:func:`.headline.headline_grid`, the baseline first), its headline metric columns only;
2. every category: image AUROC / pixel AUROC, mean ± std over seeds (the unified table's cells,
   the best method of a category in bold);
3. the scale of the runs: the data (categories, test images, evaluation resolution, seeds) and per
   method how it ran (:func:`.settings.scale_text`) and what its training cost
   (:func:`.tables.cost_table`);

then the papers' claims against ours where a paper's data set ran
(:func:`.headline.claims_summary_grid`), else how many printed numbers wait for one.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from synthad.config import ReportConfig
from synthad.errors import DataError
from synthad.report.grid import DASH, Cell, Grid, cell_text
from synthad.report.headline import BASELINE, categories_of, claims_summary_grid, headline_grid
from synthad.report.settings import scale_text
from synthad.report.statistics import MEAN_ROW
from synthad.report.table_format import HEADLINE_METRICS, NOT_MEASURED, PRETTY
from synthad.report.tables import cost_table
from synthad.report.unified import DECISION_METRICS

# Columns of the first table (unified-table titles): the headline metrics and, for runs trained with
# a decision threshold, precision and recall at it; the costs get their own table (section 3).
HEADLINE_TITLES = tuple(PRETTY[m] for m in (*HEADLINE_METRICS, *DECISION_METRICS))
CATEGORY_TITLES = (PRETTY["image_auroc"], PRETTY["pixel_auroc"])


# --------------------------------------------------------------------------- Markdown
def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A GitHub-flavoured Markdown table, one line per row (``|`` inside a cell escaped)."""
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return [line(header), line(["---"] * len(header))] + [line(r) for r in rows]


def cell_markdown(cell: Cell, decimals: int) -> str:
    """:func:`.grid.cell_text` of a cell, in bold when it is the best of its block."""
    text = cell_text(cell, decimals)
    return f"**{text}**" if cell.bold and text not in ("", DASH, NOT_MEASURED) else text


def grid_markdown(grid: Grid) -> list[str]:
    """A grid as a Markdown table (its caption and notes left to the caller)."""
    rows = [[r.label, *(cell_markdown(c, grid.decimals) for c in r.cells)] for r in grid.rows]
    return markdown_table(grid.header, rows)


def select_columns(grid: Grid, titles: tuple[str, ...]) -> Grid:
    """``grid`` with only the value columns titled in ``titles`` (the label column kept)."""
    keep = [k for k, title in enumerate(grid.header[1:]) if title in titles]
    rows = [dataclasses.replace(r, cells=[r.cells[k] for k in keep]) for r in grid.rows]
    return dataclasses.replace(grid, header=[grid.header[0], *(grid.header[1 + k] for k in keep)], rows=rows)


# --------------------------------------------------------------------------- inputs
def read_unified(tables_dir: Path) -> list[Grid]:
    """The unified table of every data set (``unified_<dataset>.json`` of ``synthad tables``).

    Raises:
        DataError: There is none.
    """
    paths = sorted(Path(tables_dir).glob("unified_*.json"))
    if not paths:
        raise DataError(f"{tables_dir}: no unified_*.json table (run `synthad tables` first)")
    return [Grid.from_json(p.read_text()) for p in paths]


def headline_tables(tables_dir: Path) -> list[Grid]:
    """Per data set the first table of the page: the headline grid, headline metric columns only."""
    return [select_columns(headline_grid(g), HEADLINE_TITLES) for g in read_unified(tables_dir)]


def produced_on(metrics_csv: Path) -> str:
    """The day ``metrics.csv`` was last written (UTC, ``YYYY-MM-DD``): when the results were produced."""
    return datetime.fromtimestamp(Path(metrics_csv).stat().st_mtime, tz=UTC).date().isoformat()


# --------------------------------------------------------------------------- sections
def method_order(unified: Grid) -> list[str]:
    """The methods of a unified table, the naive baseline first (as in the headline table)."""
    methods = dict.fromkeys(r.label.partition(": ")[2] for r in unified.rows)
    return sorted(methods, key=lambda m: m != BASELINE)


def category_table(unified: Grid) -> list[str]:
    """Rows methods, columns categories then ``mean``; a cell is ``image AUROC / pixel AUROC``."""
    columns = [unified.header.index(t) - 1 for t in CATEGORY_TITLES if t in unified.header]
    cells = {tuple(r.label.split(": ", 1)): r.cells for r in unified.rows}
    categories = [*categories_of(unified), MEAN_ROW]

    def text(category: str, method: str) -> str:
        row = cells.get((category, method))
        return " / ".join(cell_markdown(row[k], unified.decimals) for k in columns) if row else DASH

    rows = [[m, *(text(c, m) for c in categories)] for m in method_order(unified)]
    return markdown_table(["method", *categories], rows)


def data_table(frame: pd.DataFrame, dataset: str) -> list[str]:
    """Per category: test images, of them defective, evaluation resolution (from ``metrics.csv``)."""
    sub = frame[frame["dataset"] == dataset]
    wide = sub.pivot_table(index="category", columns="metric", values="value", aggfunc="first")
    counts = ("n_test_images", "n_test_defective", "resolution")
    rows = [[category, *(_count(wide, category, m) for m in counts)] for category in wide.index]
    return markdown_table(["category", "test images", "of them defective", "evaluated at [px]"], rows)


def _count(wide: pd.DataFrame, category: str, metric: str) -> str:
    value = wide.at[category, metric] if metric in wide else float("nan")
    return DASH if pd.isna(value) else f"{value:.0f}"


def method_table(frame: pd.DataFrame, settings: pd.DataFrame, dataset: str, methods: list[str]) -> list[str]:
    """Per method: how it ran, its runs, training seconds per run and in all, inference images/s."""
    cost = cost_table(frame, dataset, methods)
    rows = []
    for method in methods:
        seconds, runs = cost.at[method, "train_seconds"], cost.at[method, "n_runs"]
        rows.append([method, scale_text(settings, dataset, method), str(runs), _number(seconds, "{:.0f} s"),
                     _number(seconds * runs / 3600, "{:.2f} h"),
                     _number(cost.at[method, "inference_images_per_s"], "{:.1f}")])
    header = ["method", "how it ran", "runs", "training per run", "training in all", "inference [img/s]"]
    total = (cost["train_seconds"] * cost["n_runs"]).sum() / 3600
    return markdown_table(header, rows) + ["", f"In all {cost['n_runs'].sum()} runs, {total:.2f} h of "
                                                "training."]


def _number(value: float, fmt: str) -> str:
    return DASH if pd.isna(value) else fmt.format(value)


def claims_section(tables_dir: Path, config: ReportConfig) -> list[str]:
    """The claims summary where a paper's data set ran, else one paragraph saying none did."""
    papers_dir = Path(tables_dir) / "papers"
    if not (papers_dir / "overview.csv").is_file():
        return ["No paper table was written (`synthad tables --no-papers`)."]
    overview = pd.read_csv(papers_dir / "overview.csv")
    papers = [Grid.from_json(p.read_text()) for p in sorted(papers_dir.glob("paper_*.json"))]
    summary = claims_summary_grid(papers, overview, config)
    if summary is None:
        return [f"None of the papers' data sets ran, so none of the {int(overview['numbers'].sum())} "
                f"printed numbers of the {len(overview)} transcribed paper tables has ours beside it. "
                "A paper's data set in `data.datasets` of `params.yaml` (e.g. `mvtec_ad`) or a paper "
                "preset (`preset: realnet`) fills them; `reports/report.html` shows every paper table."]
    return grid_markdown(summary) + ["", *(f"- {n}" for n in summary.notes)]


def dataset_section(unified: Grid, frame: pd.DataFrame, settings: pd.DataFrame,
                    config: ReportConfig) -> list[str]:
    """The three parts of one data set (module docstring)."""
    dataset = unified.key.removeprefix("unified_")
    headline = select_columns(headline_grid(unified), HEADLINE_TITLES)
    seeds = sorted(frame.loc[frame["dataset"] == dataset, "seed"].unique())
    return [
        f"## {dataset}", "",
        f"### Every method against the naive baseline ({headline.caption.partition(': ')[2]})", "",
        *grid_markdown(headline), "",
        f"Metrics x {config.scale:g}, mean ± sample std (ddof 1) over the seeds; the std of a mean over "
        "categories is over the per-seed averages ([evaluation](evaluation.md#aggregation-over-seeds)).",
        "",
        "### Every category: image AUROC / pixel AUROC", "",
        *category_table(unified), "",
        "### Scale of the runs", "",
        f"Seeds {', '.join(str(int(s)) for s in seeds)}; the test split of each category:", "",
        *data_table(frame, dataset), "",
        *method_table(frame, settings, dataset, method_order(unified)), "",
    ]


def results_markdown(tables_dir: Path, frame: pd.DataFrame, settings: pd.DataFrame, config: ReportConfig,
                     produced: str, command: str) -> str:
    """The whole page (a string ending in a newline).

    Args:
        tables_dir: ``results/tables`` (of ``synthad tables``).
        frame: Long metrics table (``results/metrics.csv``).
        settings: Run settings (``results/run_settings.csv``).
        config: The ``report:`` section (scale, colour thresholds).
        produced: When the results were produced (``YYYY-MM-DD``).
        command: The command that writes the page, quoted in its header.
    """
    lines = [
        "# Results", "",
        "<!-- Generated by `make docs` (synthad results-doc): do not edit by hand; the generator is "
        "src/synthad/report/results_doc.py. -->", "",
        f"What the pipeline measured, generated by `{command}` (`make docs`) from `results/` as the "
        f"pipeline left it (results produced on {produced}). The last part of each data set says at "
        "which scale it ran; the report (`reports/report.html`) has every metric, the figures and the "
        "paper tables.", "",
    ]
    for unified in read_unified(tables_dir):
        lines += dataset_section(unified, frame, settings, config)
    lines += ["## The papers' claims against ours", "", *claims_section(tables_dir, config)]
    return "\n".join(lines) + "\n"
