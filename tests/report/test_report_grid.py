"""The table model and its renderers (text, LaTeX, HTML, JSON), and the unified table's numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from synthad.config import ReportConfig
from synthad.report.grid import Cell, Grid, Row, band, cell_html, cell_latex, cell_text, grid_latex
from synthad.report.statistics import seed_stats
from synthad.report.table_format import escape_latex
from synthad.report.unified import unified_grid, unified_values

RAN = Cell(claimed=[99.5], ours=[97.25], std=[0.5], delta=[-2.25], bands=["mid"])


def test_cell_renderings():
    assert cell_text(RAN, 1) == "99.5 | 97.2 ± 0.5 | −2.2"  # ours and delta at the grid's decimals
    assert cell_text(Cell(claimed=[99.5], ours=[math.nan], std=[math.nan], delta=[math.nan]), 1) == "99.5 | —"
    assert cell_text(Cell(claimed=[9.765]), 1) == "9.765"  # a claim keeps its printed decimals
    assert cell_text(Cell(claimed=[99.0, None]), 1) == "(99.0, —)"
    latex = cell_latex(RAN, 1)
    assert latex.startswith(r"\shortstack{99.5\\") and r"\textcolor{deltamid}{$-$2.2}" in latex
    html = cell_html(RAN, 1)
    assert 'class="claimed">99.5' in html and "#b35900" in html and "97.2 ± 0.5" in html


def test_delta_bands():
    assert [band(d, 1.0, 5.0) for d in (2.0, -1.0, -1.5, -5.0, -6.0, math.nan)] == [
        "close",
        "close",
        "mid",
        "far",
        "far",
        "",
    ]


def test_latex_escaping_of_labels_and_signs():
    assert escape_latex("metal_nut & 50%") == r"metal\_nut \& 50\%"
    assert escape_latex("± − Δ ≥ † ‡") == r"$\pm$ $-$ $\Delta$ $\geq$ \dag{} \ddag{}"
    grid = Grid("k", "Cap_tion", ["a_b", "c"], [Row("x_y", [RAN])], ["note #1"])
    tex = grid_latex(grid)
    assert r"a\_b" in tex and r"x\_y" in tex and r"note \#1" in tex and r"\caption{Cap\_tion}" in tex
    assert "_" not in tex.replace(r"\_", "")


def test_grid_json_round_trip():
    grid = Grid(
        "k", "c", ["a", "b"], [Row("r", [Cell(ours=[np.float64(1.5)], std=[math.nan], bold=True)], True)]
    )
    back = Grid.from_json(grid.to_json())
    assert back.rows[0].cells[0].ours == [1.5] and back.rows[0].cells[0].std == [None] and back.rows[0].rule


def _frame():
    rows, rng = [], np.random.default_rng(0)
    for method in ("a", "b"):
        for category in ("c1", "c2"):
            for seed in (0, 1):
                rows += [
                    dict(
                        dataset="d",
                        category=category,
                        method=method,
                        seed=seed,
                        metric=m,
                        value=float(rng.random()),
                    )
                    for m in ("image_auroc", "pixel_auroc")
                ]
                rows += [
                    dict(
                        dataset="d",
                        category=category,
                        method=method,
                        seed=seed,
                        metric="train_seconds",
                        value=7200.0,
                    ),
                    dict(
                        dataset="d",
                        category=category,
                        method=method,
                        seed=seed,
                        metric="eval_peak_memory_mb",
                        value=100.0 + seed,
                    ),
                ]
    return pd.DataFrame(rows)


def test_unified_values_and_bold_best():
    frame, config = _frame(), ReportConfig(metrics=["image_auroc", "pixel_auroc"])
    values = unified_values(frame, "d", config).set_index(["category", "method"])
    stats = seed_stats(frame, "d", "a", "image_auroc")
    assert values.loc[("c1", "a"), "image_auroc_mean"] == pytest.approx(stats.at["c1", "mean"] * 100)
    assert values.loc[("mean", "a"), "image_auroc_std"] == pytest.approx(stats.at["mean", "std"] * 100)
    assert values.loc[("c1", "a"), "train_hours"] == pytest.approx(2.0)
    assert values.loc[("c1", "a"), "peak_memory_mb"] == pytest.approx(100.5)
    assert list(values.index.get_level_values(0))[-1] == "mean"
    grid = unified_grid(frame, "d", pd.DataFrame(columns=["dataset", "method", "device", "config"]), config)
    assert grid.header[:3] == ["category / method", "I-AUROC", "P-AUROC"] and len(grid.rows) == 6
    block = grid.rows[:2]  # c1: a, c1: b -- exactly one of them is bold per metric
    assert sum(r.cells[0].bold for r in block) == 1
    better = (
        0 if values.loc[("c1", "a"), "image_auroc_mean"] > values.loc[("c1", "b"), "image_auroc_mean"] else 1
    )
    assert block[better].cells[0].bold and grid.rows[2].rule
