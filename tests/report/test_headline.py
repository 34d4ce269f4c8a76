"""The report's first screen: methods against the naive baseline, and the claims summary."""

from __future__ import annotations

import pandas as pd

from synthad.config import ReportConfig
from synthad.report.grid import Cell, Grid, Row, grid_rows_text
from synthad.report.headline import categories_of, claims_summary_grid, headline_grid


def _unified(categories: list[str], methods: list[str]) -> Grid:
    """A unified table whose cell is the method's position in ``methods`` (in every block)."""
    rows = [Row(f"{c}: {m}", [Cell(ours=[float(k)], std=[None])])
            for c in [*categories, "mean"] for k, m in enumerate(methods)]
    header = ["category / method", "I-AUROC"]
    return Grid("unified_demo", "All methods on demo", header, rows, ["scale note"], 1)


def test_headline_is_the_mean_block_with_the_baseline_first():
    grid = headline_grid(_unified(["bottle", "washer"], ["dmp", "draem", "mean_image"]))
    assert grid.key == "headline_demo" and grid.header == ["method", "I-AUROC"]
    assert [r.label for r in grid.rows] == ["mean_image (naive baseline)", "dmp", "draem"]
    assert [r.cells[0].ours for r in grid.rows] == [[2.0], [0.0], [1.0]]  # the mean block's cells
    assert "2 categories" in grid.caption and grid.notes == ["scale note"]


def test_headline_of_one_category_names_it_and_says_when_the_baseline_is_missing():
    unified = _unified(["bottle"], ["draem"])
    assert categories_of(unified) == ["bottle"]
    grid = headline_grid(unified)
    assert "on bottle" in grid.caption and "did not run" in grid.notes[0]


def _paper(key: str, deltas: list, bands: list) -> Grid:
    cells = [Cell(claimed=[99.0], ours=[99.0 + d] if d is not None else [None], delta=[d], bands=[b])
             for d, b in zip(deltas, bands, strict=True)]
    return Grid(key, "t", ["row", *["c"] * len(cells)], [Row("r", cells)])


def test_claims_summary_counts_the_bands_of_compared_numbers():
    papers = [_paper("paper_dmp_1", [0.5, -3.0, -9.0, None], ["close", "mid", "far", ""]),
              _paper("paper_dmp_2", [None], [""])]
    overview = pd.DataFrame({"key": ["paper_dmp_1", "paper_dmp_2"], "paper": ["dmp", "dmp"],
                             "table": ["1", "2"], "numbers": [4, 1], "mean_delta_pp": [-3.8, float("nan")]})
    grid = claims_summary_grid(papers, overview, ReportConfig())
    rows = grid_rows_text(grid)
    assert rows[0][3:6] == ["within 1 pp or above", "1–5 pp below", "over 5 pp below"]
    assert rows[1:] == [["dmp Table 1", "3", "4", "1", "1", "1", "-3.8"]]


def test_no_claims_summary_when_no_paper_data_set_ran():
    overview = pd.DataFrame({"key": ["paper_dmp_1"], "paper": ["dmp"], "table": ["1"], "numbers": [1],
                             "mean_delta_pp": [float("nan")]})
    assert claims_summary_grid([_paper("paper_dmp_1", [None], [""])], overview, ReportConfig()) is None
