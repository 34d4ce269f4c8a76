"""Table statistics, CSV columns and LaTeX validity (compiled when pdflatex exists)."""

from __future__ import annotations

import math
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from synthad.config import ReportConfig
from synthad.errors import DataError
from synthad.report.statistics import seed_stats
from synthad.report.table_format import escape_latex
from synthad.report.tables import format_cell, write_tables

METRICS = ["image_auroc", "pixel_auroc", "pixel_aupro", "train_seconds", "inference_images_per_s"]


def _frame():
    rows, rng = [], np.random.default_rng(0)
    for method, seeds in (("draem", [0, 1, 2]), ("mean_image", [0])):
        for category in ("metal_nut", "bottle"):
            for seed in seeds:
                rows += [dict(dataset="mvtec_ad", category=category, method=method, seed=seed, metric=m,
                              value=float(rng.random())) for m in METRICS]
    return pd.DataFrame(rows)


def test_seed_statistics():
    frame = _frame()
    stats = seed_stats(frame, "mvtec_ad", "draem", "image_auroc")
    sel = frame[(frame.method == "draem") & (frame.metric == "image_auroc")]
    bottle = sel[sel.category == "bottle"]["value"]
    assert stats.loc["bottle", "mean"] == pytest.approx(bottle.mean())
    assert stats.loc["bottle", "std"] == pytest.approx(bottle.std(ddof=1))
    per_seed = sel.groupby("seed")["value"].mean()
    assert stats.loc["mean", "mean"] == pytest.approx(per_seed.mean())
    assert stats.loc["mean", "std"] == pytest.approx(per_seed.std(ddof=1))
    single = seed_stats(frame, "mvtec_ad", "mean_image", "image_auroc")
    assert single["std"].isna().all() and (single["n_seeds"] == 1).all()


def test_csv_files_and_values(tmp_path):
    config = ReportConfig(metrics=["image_auroc", "pixel_aupro"], scale=100.0, decimals=2)
    write_tables(_frame(), config, tmp_path / "tables")
    names = sorted(p.name for p in (tmp_path / "tables").iterdir())
    assert "summary_mvtec_ad_draem.csv" in names and "compare_mvtec_ad_pixel_aupro.tex" in names
    assert "cost_mvtec_ad.csv" in names
    summary = pd.read_csv(tmp_path / "tables" / "summary_mvtec_ad_draem.csv", index_col=0)
    assert list(summary.columns) == ["image_auroc_mean", "image_auroc_std", "pixel_aupro_mean",
                                     "pixel_aupro_std", "n_seeds"]
    assert list(summary.index) == ["bottle", "metal_nut", "mean"]
    expected = seed_stats(_frame(), "mvtec_ad", "draem", "pixel_aupro").loc["bottle", "mean"] * 100
    assert summary.loc["bottle", "pixel_aupro_mean"] == pytest.approx(round(expected, 2))
    compare = pd.read_csv(tmp_path / "tables" / "compare_mvtec_ad_image_auroc.csv", index_col=0)
    assert list(compare.columns) == ["draem_mean", "draem_std", "mean_image_mean", "mean_image_std"]
    assert compare["mean_image_std"].isna().all()


def test_unknown_metric_is_an_error(tmp_path):
    with pytest.raises(DataError, match="pixle_auroc"):
        write_tables(_frame(), ReportConfig(metrics=["pixle_auroc"]), tmp_path / "t", "results/metrics.csv")
    assert not (tmp_path / "t").exists()


def test_cell_format_and_escape():
    assert format_cell(98.123, 0.26, 1) == r"98.1 $\pm$ 0.3"
    assert format_cell(98.1, math.nan, 1) == "98.1" and format_cell(math.nan, 1.0, 1) == "--"
    assert escape_latex("metal_nut & 50%") == r"metal\_nut \& 50\%"


def check_latex_structure(tex: str) -> None:
    """Balanced braces, matching begin/end, booktabs rules, every row as wide as the header."""
    depth = 0
    for i, ch in enumerate(tex):
        if ch in "{}" and (i == 0 or tex[i - 1] != "\\"):
            depth += 1 if ch == "{" else -1
            assert depth >= 0, "closing brace without opening one"
    assert depth == 0, "unbalanced braces"
    stack = []
    for kind, env in re.findall(r"\\(begin|end)\{(\w+)\}", tex):
        if kind == "begin":
            stack.append(env)
        else:
            assert stack and stack.pop() == env, f"\\end{{{env}}} does not match"
    assert not stack
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert rule in tex
    spec = re.search(r"\\begin\{tabular\}\{([lcr]+)\}", tex).group(1)
    body = tex.split(r"\toprule")[1].split(r"\bottomrule")[0]
    rows = [r for r in body.split("\n") if r.strip().endswith(r"\\")]
    assert rows
    for row in rows:
        cells = re.split(r"(?<!\\)&", row)
        assert len(cells) == len(spec), f"row {row!r} has {len(cells)} cells, expected {len(spec)}"
    assert "_" not in re.sub(r"\\_|\\label\{[^}]*\}", "", tex), "unescaped underscore"


def test_latex_is_valid(tmp_path):
    write_tables(_frame(), ReportConfig(metrics=METRICS[:3]), tmp_path / "tables")
    texs = sorted((tmp_path / "tables").glob("*.tex"))
    assert len(texs) == 2 + 3 + 1 + 1  # 2 summaries, 3 comparisons, 1 cost table, 1 unified table
    for tex in texs:
        check_latex_structure(tex.read_text())
    assert r"\textbf{" in (tmp_path / "tables" / "compare_mvtec_ad_image_auroc.tex").read_text()
    if shutil.which("pdflatex"):
        doc = tmp_path / "doc.tex"
        doc.write_text("\\documentclass{article}\n\\usepackage{booktabs,graphicx,xcolor}\n\\begin{document}\n"
                       + "".join(f"\\input{{{t}}}\n" for t in texs) + "\\end{document}\n")
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout[-2000:]
