r"""The assembled report: one LaTeX document and one self-contained HTML page.

Inputs are what the ``tables`` and ``plots`` stages wrote: the grids (``*.json``, the same model the
``.tex`` tables were rendered from) and the PNG figures, and Snakemake's benchmark files
(:mod:`.costs`; the report's own rule left out). Sections, in both formats, the answer first:

1. every method against the naive baseline: each data set's mean over categories
   (:func:`.headline.headline_grid`); 2. the papers' claims against ours, where a paper's data set
   ran (:func:`.headline.claims_summary_grid`; else one sentence saying none did); 3. every
   category: the unified tables of data sets with more than one category; 4. what it cost, per
   phase and per method; 5. figures: box plots, ROC curves, map grids, training curves; 6. the
   paper tables: how to read a cell, their counts at a glance (``papers/papers_overview``) and
   every paper table in its layout, grouped by paper.

Output folder (replaced as a whole): ``report.html`` (CSS inline, figures embedded as base64 PNG,
no script: opens anywhere without TeX), ``costs_phases.csv`` and ``costs_methods.csv`` (the cost
tables' numbers) and ``report.tex`` with copies of the ``.tex`` tables and figures beside it, so
``cd reports && pdflatex report.tex`` compiles it (packages: booktabs, graphicx, xcolor, geometry:
Debian's ``texlive-latex-base`` + ``texlive-latex-recommended``).
"""

from __future__ import annotations

import base64
import html
import shutil
from pathlib import Path

import pandas as pd

from synthad.config import ReportConfig
from synthad.errors import DataError
from synthad.report.costs import BENCHMARKS_DIR, cost_grids, method_costs, phase_costs, read_benchmarks
from synthad.report.grid import Grid, grid_html, grid_latex
from synthad.report.headline import BASELINE, categories_of, claims_summary_grid, headline_grid
from synthad.report.table_format import escape_latex
from synthad.utils.io import atomic_dir

FIGURE_KINDS = {
    "box": "Spread over categories",
    "roc": "ROC curves",
    "grid": "Anomaly maps of all methods",
    "training": "Training curves",
}
PAPERS = {
    "dmp": "DMP (Peng et al. 2024)",
    "ndpnet": "NDP-Net (Luo et al.)",
    "imm_alm": "Lv et al. (IMM/ALM)",
    "realnet": "RealNet (Zhang et al. 2024)",
    "slsg": "SLSG (Yang, Liu et al.)",
}
READING = (
    "Every paper table keeps the paper's layout. A cell shows the claimed number (top), ours as mean ± "
    "std over seeds (middle) and Δ = ours − claimed (bottom; green: at most {close:g} percentage points "
    "below or better, orange: up to {far:g} points below, red: further below). — means not run; † marks "
    "rows we do not implement (claim only), ‡ ablation variants not run yet. Each table's notes give the "
    "paper's scale and ours: our demo runs are small (CPU budget), so they fill the unified table, not "
    "the paper tables, which need the papers' data sets."
)
BASELINE_TEXT = (
    f"Each method's mean over the categories of a data set, all under one protocol (the same images, "
    f"the same metrics). {BASELINE}, the naive baseline (per-pixel distance to the mean training image), "
    "comes first: it shows what a method must beat."
)
NO_CLAIMS_TEXT = (
    "None of the papers' data sets ran in this configuration, so no printed number has ours beside it "
    "yet: the table above compares the methods on our data only. A paper's data set in `data.datasets` "
    "of params.yaml (e.g. mvtec_ad) fills the paper tables at the end."
)
NO_COSTS_TEXT = "No benchmark files in {folder} (Snakemake writes them for every job it runs)."


def _grids(folder: Path, pattern: str) -> list[Grid]:
    return [Grid.from_json(p.read_text()) for p in sorted(folder.glob(pattern))]


def _paper_order(grid: Grid) -> tuple[int, int, str]:
    """Sort key of a paper table: paper in :data:`PAPERS` order, then its table id ("2" < "10")."""
    for k, paper in enumerate(PAPERS):
        if grid.key.startswith(f"paper_{paper}_"):
            table = grid.key.removeprefix(f"paper_{paper}_")
            return k, len(table), table
    return len(PAPERS), 0, grid.key


def _claims(tables_dir: Path, papers: list[Grid], config: ReportConfig) -> Grid | None:
    overview = tables_dir / "papers" / "overview.csv"
    if not papers or not overview.is_file():
        return None
    return claims_summary_grid(papers, pd.read_csv(overview), config)


def collect(
    tables_dir: Path,
    figures_dir: Path,
    config: ReportConfig,
    benchmarks: Path,
    skip_rules: tuple[str, ...] = (),
) -> dict:
    """The report's content: grids, figures and jobs, in order.

    Returns:
        ``{"headline": [Grid], "claims": Grid | None, "unified": [Grid], "costs": [Grid],
        "jobs": DataFrame, "benchmarks": Path, "overview": Grid | None, "papers": [Grid],
        "figures": {kind: [Path]}}``, figure paths relative to ``figures_dir``; ``unified`` only
        the data sets with more than one category (one category's table is its headline twice).

    Raises:
        DataError: ``tables_dir`` holds no unified table (run ``synthad tables`` first), or a
            benchmark file is not one.
    """
    unified = _grids(tables_dir, "unified_*.json")
    if not unified:
        raise DataError(f"{tables_dir}: no unified_*.json table (run `synthad tables` first)")
    overview = _grids(tables_dir / "papers", "papers_overview.json")
    papers = sorted(_grids(tables_dir / "papers", "paper_*.json"), key=_paper_order)
    figures = {
        k: sorted(p.relative_to(figures_dir) for p in (figures_dir / k).rglob("*.png")) for k in FIGURE_KINDS
    }
    jobs = read_benchmarks(benchmarks, skip_rules)
    return {
        "headline": [headline_grid(g) for g in unified],
        "claims": _claims(tables_dir, papers, config),
        "unified": [g for g in unified if len(categories_of(g)) > 1],
        "costs": cost_grids(jobs, benchmarks),
        "jobs": jobs,
        "benchmarks": benchmarks,
        "overview": overview[0] if overview else None,
        "papers": papers,
        "figures": figures,
    }


# --------------------------------------------------------------------------- HTML
CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1400px;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;margin-top:2em}h3{margin-top:1.5em}
table{border-collapse:collapse;font-size:12px}th,td{border-bottom:1px solid #e3e3e3;padding:3px 7px;
text-align:center;vertical-align:top}
thead th{border-bottom:2px solid #444;position:sticky;top:0;background:#fff}
tbody th{text-align:left;font-weight:normal;white-space:nowrap}
tr.rule td,tr.rule th{border-top:2px solid #888}
.claimed{color:#222}.ours{color:#1f4e9c}.ours.best{font-weight:bold}.notrun{color:#999}
.delta{font-size:11px}figcaption{font-weight:bold;margin:.5em 0}.scroll{overflow-x:auto}
ul.notes{font-size:11px;color:#555}figure{margin:1em 0}img{max-width:100%;border:1px solid #eee}"""


def _img(path: Path, root: Path) -> str:
    data = base64.b64encode((root / path).read_bytes()).decode("ascii")
    name = html.escape(str(path.with_suffix("")))
    image = f'<img alt="{name}" src="data:image/png;base64,{data}">'
    return f"<figure>{image}<figcaption>{name}</figcaption></figure>"


def table_sections(content: dict) -> list[tuple[str, str, list[Grid]]]:
    """The sections before the figures, the answer first: ``(title, text, grids)`` each."""
    claims, costs = content["claims"], content["costs"]
    sections = [
        ("Every method against the naive baseline", BASELINE_TEXT, content["headline"]),
        ("The papers' claims against ours", "" if claims else NO_CLAIMS_TEXT, [claims] if claims else []),
        ("Every category", "", content["unified"]),
        ("What it cost", "" if costs else NO_COSTS_TEXT.format(folder=content["benchmarks"]), costs),
    ]
    return [s for s in sections if s[1] or s[2]]


def generated_grids(content: dict) -> list[Grid]:
    """The grids this stage builds (the others are copied from the ``tables`` stage's folder)."""
    return content["headline"] + ([content["claims"]] if content["claims"] else []) + content["costs"]


def render_html(content: dict, figures_dir: Path, config: ReportConfig) -> str:
    """The self-contained HTML page (a string)."""
    parts = [
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(config.title)}'
        f"</title><style>{CSS}</style></head><body><h1>{html.escape(config.title)}</h1>",
    ]
    for title, text, grids in table_sections(content):
        parts.append(f"<h2>{html.escape(title)}</h2>" + (f"<p>{html.escape(text)}</p>" if text else ""))
        parts += [grid_html(g) for g in grids]
    parts.append("<h2>Figures</h2>")
    for kind, title in FIGURE_KINDS.items():
        if content["figures"][kind]:
            parts += [f"<h3>{title}</h3>"] + [_img(p, figures_dir) for p in content["figures"][kind]]
    parts.append(
        "<h2>The papers' tables: claimed, ours, Δ</h2><p>"
        + html.escape(READING.format(close=config.delta_close, far=config.delta_far))
        + "</p>"
    )
    if content["overview"] is not None:
        parts += ["<h3>The paper tables at a glance</h3>", grid_html(content["overview"])]
    current = None
    for grid in content["papers"]:
        paper = _paper_order(grid)[0]
        if paper != current:
            current = paper
            parts.append(
                f"<h3>{html.escape(list(PAPERS.values())[paper] if paper < len(PAPERS) else '')}</h3>"
            )
        parts.append(grid_html(grid))
    return "".join(parts) + "</body></html>\n"


# --------------------------------------------------------------------------- LaTeX
def render_latex(content: dict, config: ReportConfig) -> str:
    r"""``report.tex``: ``\input`` of ``tables/<key>.tex`` and ``\includegraphics`` of ``figures/...``."""
    lines = [
        r"\documentclass[10pt]{article}",
        r"\usepackage[a4paper,margin=1.5cm]{geometry}",
        r"\usepackage{booktabs,graphicx,xcolor}",
        r"\setcounter{topnumber}{1}",
        rf"\title{{{escape_latex(config.title)}}}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
    ]
    for title, text, grids in table_sections(content):
        lines += [rf"\section*{{{escape_latex(title)}}}"] + ([escape_latex(text)] if text else [])
        lines += [rf"\input{{tables/{g.key}.tex}}" + "\n" + r"\clearpage" for g in grids]
    lines.append(r"\section*{Figures}")
    for kind, title in FIGURE_KINDS.items():
        for path in content["figures"][kind]:
            lines += [
                r"\begin{center}",
                r"\includegraphics[width=\linewidth,height=0.8\textheight,keepaspectratio]"
                f"{{figures/{path.as_posix()}}}",
                r"\\[2pt]\small "
                + escape_latex(f"{title}: {path.with_suffix('').relative_to(kind).as_posix()}"),
                r"\end{center}",
            ]
    lines += [r"\clearpage", r"\section*{The papers' tables: claimed, ours, $\Delta$}",
              escape_latex(READING.format(close=config.delta_close, far=config.delta_far))]
    grids = ([content["overview"]] if content["overview"] is not None else []) + content["papers"]
    lines += [rf"\input{{tables/{g.key}.tex}}" + "\n" + r"\clearpage" for g in grids]
    return "\n".join(lines + [r"\end{document}"]) + "\n"


def write_report(
    tables_dir: str | Path,
    figures_dir: str | Path,
    config: ReportConfig,
    out: str | Path,
    benchmarks: str | Path = BENCHMARKS_DIR,
    skip_rules: tuple[str, ...] = (),
) -> list[Path]:
    """Write ``report.html``, ``report.tex`` and the ``tables/`` and ``figures/`` it reads into ``out``.

    Args:
        tables_dir: ``results/tables`` (with ``papers/``).
        figures_dir: ``results/figures/compare`` (:mod:`.plots`).
        config: Title and colour thresholds.
        out: Output folder, e.g. ``reports`` (replaced as a whole).
        benchmarks: Snakemake's benchmark folder (:mod:`.costs`); absent: no cost table.
        skip_rules: Rules whose benchmark files are left out (the report's own, still running).

    Returns:
        The paths of ``report.html``, ``report.tex`` and the two cost CSVs.
    """
    tables_dir, figures_dir, out = Path(tables_dir), Path(figures_dir), Path(out)
    content = collect(tables_dir, figures_dir, config, Path(benchmarks), skip_rules)
    with atomic_dir(out) as tmp:
        (tmp / "tables").mkdir()
        for grid in generated_grids(content):
            (tmp / "tables" / f"{grid.key}.tex").write_text(grid_latex(grid))
        phase_costs(content["jobs"]).round(3).to_csv(tmp / "costs_phases.csv")
        method_costs(content["jobs"]).round(3).to_csv(tmp / "costs_methods.csv")
        for grid in ([content["overview"]] if content["overview"] is not None else []) + content["unified"]:
            shutil.copy(
                tables_dir / "papers" / f"{grid.key}.tex"
                if grid.key == "papers_overview"
                else tables_dir / f"{grid.key}.tex",
                tmp / "tables",
            )
        for grid in content["papers"]:
            shutil.copy(tables_dir / "papers" / f"{grid.key}.tex", tmp / "tables")
        if figures_dir.is_dir():
            shutil.copytree(figures_dir, tmp / "figures")
        (tmp / "report.html").write_text(render_html(content, figures_dir, config))
        (tmp / "report.tex").write_text(render_latex(content, config))
    return [out / name for name in ("report.html", "report.tex", "costs_phases.csv", "costs_methods.csv")]
