"""Pixel metrics of a data set without pixel masks print ``n/a`` in every table, not 0 or a dash."""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd
import pytest

from synthad.config import ReportConfig
from synthad.report.grid import Cell, Grid, cell_html, cell_latex, cell_text
from synthad.report.statistics import measured
from synthad.report.table_format import NOT_MEASURED
from synthad.report.tables import write_tables
from synthad.report.unified import unified_grid

IMAGE = ["image_auroc", "image_ap", "image_f1_max"]
PIXEL = ["pixel_auroc", "pixel_ap", "pixel_aupro", "pixel_f1_max"]
COST = ["train_seconds", "inference_images_per_s"]
CONFIG = ReportConfig(metrics=[*IMAGE, *PIXEL], decimals=1)


def _frame() -> pd.DataFrame:
    """``parts`` (image-level: no pixel rows) and ``demo`` (every metric, one NaN pixel AU-PRO)."""
    rows, rng = [], np.random.default_rng(0)
    for dataset, metrics in (("parts", IMAGE + COST), ("demo", IMAGE + PIXEL + COST)):
        for method in ("draem", "mean_image"):
            for category in ("plate", "screw"):
                for seed in (0, 1):
                    rows += [dict(dataset=dataset, category=category, method=method, seed=seed, metric=m,
                                  value=float(rng.random())) for m in metrics]
    frame = pd.DataFrame(rows)
    undefined = (frame.dataset == "demo") & (frame.metric == "pixel_aupro") & (frame.category == "screw")
    frame.loc[undefined, "value"] = math.nan  # measured but undefined: a dash, not n/a
    return frame


def test_measured_flags_categories_and_mean():
    frame = _frame()
    assert not measured(frame, "parts", "draem", "pixel_auroc").any()
    assert measured(frame, "parts", "draem", "image_auroc").to_dict() == {"plate": True, "screw": True,
                                                                          "mean": True}
    assert measured(frame, "demo", "draem", "pixel_aupro").all()  # a NaN value is still measured


def test_unified_grid_prints_na_for_pixel_metrics_only():
    grid = unified_grid(_frame(), "parts", pd.DataFrame(columns=["dataset", "method", "device"]), CONFIG)
    for row in grid.rows:
        texts = [cell_text(c, grid.decimals) for c in row.cells]
        assert texts[len(IMAGE):len(IMAGE) + len(PIXEL)] == [NOT_MEASURED] * len(PIXEL), row.label
        assert all(t not in (NOT_MEASURED, "—", "") for t in texts[:len(IMAGE)]), row.label
    assert any(NOT_MEASURED in note for note in grid.notes)
    again = Grid.from_json(grid.to_json())  # the report renders the HTML from the JSON
    assert again.rows[0].cells[len(IMAGE)].not_measured


def test_demo_grid_keeps_numbers_and_dashes():
    grid = unified_grid(_frame(), "demo", pd.DataFrame(columns=["dataset", "method", "device"]), CONFIG)
    texts = [cell_text(c, grid.decimals) for r in grid.rows for c in r.cells]
    assert NOT_MEASURED not in texts
    screw = next(r for r in grid.rows if r.label == "screw: draem")
    assert cell_text(screw.cells[CONFIG.metrics.index("pixel_aupro")], 1) == "—"
    assert not any(NOT_MEASURED in note for note in grid.notes)


def test_not_measured_cell_in_every_format():
    cell = Cell(not_measured=True)
    assert cell_text(cell, 1) == cell_latex(cell, 1) == NOT_MEASURED
    assert NOT_MEASURED in cell_html(cell, 1)


def test_written_tables_show_na(tmp_path):
    write_tables(_frame(), CONFIG, tmp_path / "tables")  # no pixel value on parts: not an error
    tables = tmp_path / "tables"
    with (tables / "unified_parts.csv").open() as handle:
        layout = list(csv.reader(handle))
    header = layout[0]
    for row in layout[1:]:
        assert [row[header.index(h)] for h in ("P-AUROC", "P-AP", "AU-PRO", "P-F1max")] == [NOT_MEASURED] * 4
        assert row[header.index("I-AUROC")] not in (NOT_MEASURED, "—", "")
    assert "& n/a &" in (tables / "unified_parts.tex").read_text()
    values = pd.read_csv(tables / "unified_parts_values.csv", keep_default_na=False)
    assert (values["pixel_auroc_mean"] == NOT_MEASURED).all()
    assert (values["pixel_ap_std"] == NOT_MEASURED).all()
    assert pd.to_numeric(values["image_auroc_mean"]).between(0, 100).all()
    assert pd.read_csv(tables / "unified_parts_values.csv")["pixel_auroc_mean"].isna().all()  # numbers: NaN
    summary = pd.read_csv(tables / "summary_parts_draem.csv", keep_default_na=False, index_col=0)
    assert (summary["pixel_aupro_mean"] == NOT_MEASURED).all()
    assert "n/a" in (tables / "summary_parts_draem.tex").read_text()
    assert not (tables / "compare_parts_pixel_auroc.csv").exists()  # nothing to compare
    assert (tables / "compare_parts_image_auroc.csv").is_file()
    demo = (tables / "unified_demo.csv").read_text()
    assert NOT_MEASURED not in demo and "—" in demo  # demo: numbers, and a dash for the NaN AU-PRO


def test_unknown_metric_is_still_an_error(tmp_path):
    from synthad.errors import DataError

    with pytest.raises(DataError, match="pixel_aurco"):
        write_tables(_frame(), ReportConfig(metrics=["image_auroc", "pixel_aurco"]), tmp_path / "t")
