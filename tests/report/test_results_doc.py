"""``synthad results-doc``: docs/results.md generated from a hand-made results folder."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pandas as pd
import pytest

from synthad.cli import main
from synthad.config import ReportConfig
from synthad.errors import DataError
from synthad.report.grid import Cell, Grid, Row
from synthad.report.results_doc import claims_section, read_unified
from synthad.report.settings import COLUMNS as SETTINGS_COLUMNS
from synthad.report.tables import write_tables

METRICS = ["image_auroc", "pixel_auroc", "pixel_aupro"]
# (dataset, category, method) -> image AUROC of seeds 0 and 1; pixel metrics are 0.1 higher
IMAGE_AUROC = {
    ("toy", "a", "mean_image"): (0.6, 0.6), ("toy", "b", "mean_image"): (0.7, 0.7),
    ("toy", "a", "draem"): (0.8, 0.9), ("toy", "b", "draem"): (0.85, 0.75),
    ("parts", "ok_ng", "draem"): (0.7, 0.8),  # an image-level data set: no pixel metric measured
}


def _metrics() -> pd.DataFrame:
    rows = []
    for (dataset, category, method), values in IMAGE_AUROC.items():
        for seed, value in enumerate(values):
            measured = {"image_auroc": value, "train_seconds": 100.0 * (method == "draem") + 1.0,
                        "inference_images_per_s": 50.0, "n_test_images": 60, "n_test_defective": 36,
                        "resolution": 256}
            if dataset == "toy":
                measured |= {"pixel_auroc": value + 0.1, "pixel_aupro": value + 0.1}
            rows += [(dataset, category, method, seed, m, v) for m, v in measured.items()]
    return pd.DataFrame(rows, columns=["dataset", "category", "method", "seed", "metric", "value"])


def _settings() -> pd.DataFrame:
    rows = [(d, c, m, s, "cpu", 1, 64, "epochs 40" if m == "draem" else "", '{"image_size": 64}')
            for (d, c, m) in IMAGE_AUROC for s in (0, 1)]
    return pd.DataFrame(rows, columns=SETTINGS_COLUMNS)


@pytest.fixture
def results(tmp_path):
    """A results folder as the pipeline writes it: metrics.csv, run_settings.csv, tables/."""
    folder = tmp_path / "results"
    folder.mkdir()
    frame, settings = _metrics(), _settings()
    frame.to_csv(folder / "metrics.csv", index=False)
    settings.to_csv(folder / "run_settings.csv", index=False)
    write_tables(frame, ReportConfig(metrics=METRICS), folder / "tables", settings=settings)
    produced = datetime(2024, 5, 6, 12, tzinfo=UTC).timestamp()
    os.utime(folder / "metrics.csv", (produced, produced))
    return folder


def _run(results, out, *extra) -> str:
    args = ["results-doc", "--tables", str(results / "tables"), "--metrics", str(results / "metrics.csv"),
            "--settings", str(results / "run_settings.csv"), "--out", str(out),
            "--params-json", json.dumps({"metrics": METRICS}), *extra]
    assert main(args) == 0
    return out.read_text()


def test_page_has_the_headline_the_categories_and_the_scale(results, tmp_path):
    figure = tmp_path / "img" / "headline.png"
    page = _run(results, tmp_path / "results.md", "--figure", str(figure))
    assert "results produced on 2024-05-06" in page and f"--out {tmp_path / 'results.md'}" in page
    # headline: the baseline first; draem's mean of the per-seed averages (0.825, 0.825) -> 82.5 +- 0.0
    assert ("| mean_image (naive baseline) | 65.0 ± 0.0 | 75.0 ± 0.0 | 75.0 ± 0.0 |\n"
            "| draem | **82.5 ± 0.0** | **92.5 ± 0.0** | **92.5 ± 0.0** |") in page
    # every category: image / pixel AUROC, the best of a category in bold
    assert "| method | a | b | mean |" in page
    assert "| draem | **85.0 ± 7.1** / **95.0 ± 7.1** | **80.0 ± 7.1** / **90.0 ± 7.1** |" in page
    # scale: the settings of run_settings.csv and the training cost of metrics.csv
    assert "| draem | 64 px, epochs 40, 2 seeds, cpu | 4 | 101 s | 0.11 h | 50.0 |" in page
    assert "| a | 60 | 36 | 256 |" in page and "Seeds 0, 1" in page
    assert "No paper table was written" in page
    assert figure.read_bytes().startswith(b"\x89PNG")


def test_image_level_data_set_prints_n_a_for_pixel_auroc(results, tmp_path):
    page = _run(results, tmp_path / "results.md")
    parts = page[page.index("## parts"):page.index("## toy")]
    assert "| draem | 75.0 ± 7.1 | n/a | n/a |" in parts
    assert "| draem | 75.0 ± 7.1 / n/a | 75.0 ± 7.1 / n/a |" in parts  # the category, then the mean


def test_claims_summary_where_a_paper_data_set_ran(tmp_path):
    papers = tmp_path / "papers"
    papers.mkdir()
    cells = [Cell(claimed=[99.0], ours=[99.0 + d], delta=[d], bands=[b])
             for d, b in [(0.5, "close"), (-3.0, "mid"), (-9.0, "far")]]
    (papers / "paper_dmp_1.json").write_text(Grid("paper_dmp_1", "t", ["row", "c", "c", "c"],
                                                  [Row("r", cells)]).to_json())
    pd.DataFrame({"key": ["paper_dmp_1"], "paper": ["dmp"], "table": ["1"], "numbers": [4],
                  "mean_delta_pp": [-3.8]}).to_csv(papers / "overview.csv", index=False)
    lines = claims_section(tmp_path, ReportConfig())
    assert "| dmp Table 1 | 3 | 4 | 1 | 1 | 1 | -3.8 |" in lines


def test_no_paper_data_set_ran_says_how_many_numbers_wait(tmp_path):
    (tmp_path / "papers").mkdir()
    overview = pd.DataFrame({"key": ["paper_dmp_1", "paper_dmp_2"], "paper": ["dmp", "dmp"],
                             "table": ["1", "2"], "numbers": [4, 6], "mean_delta_pp": [None, None]})
    overview.to_csv(tmp_path / "papers" / "overview.csv", index=False)
    text = " ".join(claims_section(tmp_path, ReportConfig()))
    assert "none of the 10 printed numbers of the 2 transcribed paper tables" in text


def test_tables_folder_without_unified_table_is_an_error(tmp_path):
    with pytest.raises(DataError, match="no unified_"):
        read_unified(tmp_path)
