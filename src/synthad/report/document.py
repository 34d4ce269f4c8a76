r"""The assembled report: one LaTeX document and one self-contained HTML page.

Inputs are what the ``tables`` and ``plots`` stages wrote: the grids (``*.json``, the same model the
``.tex`` tables were rendered from) and the PNG figures. Sections, in both formats:

1. how to read a cell; 2. the paper tables at a glance (``papers/papers_overview``); 3. the
unified table per data set; 4. figures: box plots, ROC curves, map grids, training curves;
5. every paper table in its layout, grouped by paper.

Output folder (replaced as a whole): ``report.html`` (CSS inline, figures embedded as base64 PNG,
no script: opens anywhere without TeX) and ``report.tex`` with copies of the ``.tex`` tables and
figures beside it, so ``cd reports && pdflatex report.tex`` compiles it (packages: booktabs,
graphicx, xcolor, geometry: Debian's ``texlive-latex-base`` + ``texlive-latex-recommended``).
"""

from __future__ import annotations

import base64
import html
import shutil
from pathlib import Path

from synthad.config import ReportConfig
from synthad.errors import DataError
from synthad.report.grid import Grid, grid_html
from synthad.report.tables import escape_latex
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


def _grids(folder: Path, pattern: str) -> list[Grid]:
    return [Grid.from_json(p.read_text()) for p in sorted(folder.glob(pattern))]


def _paper_order(grid: Grid) -> tuple[int, int, str]:
    """Sort key of a paper table: paper in :data:`PAPERS` order, then its table id ("2" < "10")."""
    for k, paper in enumerate(PAPERS):
        if grid.key.startswith(f"paper_{paper}_"):
            table = grid.key.removeprefix(f"paper_{paper}_")
            return k, len(table), table
    return len(PAPERS), 0, grid.key


def collect(tables_dir: Path, figures_dir: Path) -> dict:
    """The report's content: grids and figures, in order.

    Returns:
        ``{"overview": Grid | None, "unified": [Grid], "papers": [Grid], "figures": {kind: [Path]}}``,
        figure paths relative to ``figures_dir``.

    Raises:
        DataError: ``tables_dir`` holds no unified table (run ``synthad tables`` first).
    """
    unified = _grids(tables_dir, "unified_*.json")
    if not unified:
        raise DataError(f"{tables_dir}: no unified_*.json table (run `synthad tables` first)")
    overview = _grids(tables_dir / "papers", "papers_overview.json")
    papers = sorted(_grids(tables_dir / "papers", "paper_*.json"), key=_paper_order)
    figures = {
        k: sorted(p.relative_to(figures_dir) for p in (figures_dir / k).rglob("*.png")) for k in FIGURE_KINDS
    }
    return {
        "overview": overview[0] if overview else None,
        "unified": unified,
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


def render_html(content: dict, figures_dir: Path, config: ReportConfig) -> str:
    """The self-contained HTML page (a string)."""
    parts = [
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(config.title)}'
        f"</title><style>{CSS}</style></head><body><h1>{html.escape(config.title)}</h1>",
        "<h2>How to read the tables</h2><p>"
        + html.escape(READING.format(close=config.delta_close, far=config.delta_far))
        + "</p>",
    ]
    if content["overview"] is not None:
        parts += ["<h2>The paper tables at a glance</h2>", grid_html(content["overview"])]
    parts += ["<h2>All methods under one protocol</h2>"] + [grid_html(g) for g in content["unified"]]
    parts.append("<h2>Figures</h2>")
    for kind, title in FIGURE_KINDS.items():
        if content["figures"][kind]:
            parts += [f"<h3>{title}</h3>"] + [_img(p, figures_dir) for p in content["figures"][kind]]
    parts.append("<h2>The papers' tables: claimed, ours, Δ</h2>")
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
        r"\section*{How to read the tables}",
        escape_latex(READING.format(close=config.delta_close, far=config.delta_far)),
        r"\clearpage",
    ]
    grids = ([content["overview"]] if content["overview"] is not None else []) + content["unified"]
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
    lines += [r"\clearpage", r"\section*{The papers' tables: claimed, ours, $\Delta$}"]
    lines += [rf"\input{{tables/{g.key}.tex}}" + "\n" + r"\clearpage" for g in content["papers"]]
    return "\n".join(lines + [r"\end{document}"]) + "\n"


def write_report(
    tables_dir: str | Path, figures_dir: str | Path, config: ReportConfig, out: str | Path
) -> list[Path]:
    """Write ``report.html``, ``report.tex`` and the ``tables/`` and ``figures/`` it reads into ``out``.

    Args:
        tables_dir: ``results/tables`` (with ``papers/``).
        figures_dir: ``results/figures/compare`` (:mod:`.plots`).
        config: Title and colour thresholds.
        out: Output folder, e.g. ``reports`` (replaced as a whole).

    Returns:
        The paths of ``report.html`` and ``report.tex``.
    """
    tables_dir, figures_dir, out = Path(tables_dir), Path(figures_dir), Path(out)
    content = collect(tables_dir, figures_dir)
    with atomic_dir(out) as tmp:
        (tmp / "tables").mkdir()
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
    return [out / "report.html", out / "report.tex"]
