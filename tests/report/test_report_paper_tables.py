"""Paper tables: claimed | ours | delta on a fake metrics frame, matching rules, markers, files."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from test_report_tables import check_latex_structure

from synthad.config import ReportConfig, VariantEntry
from synthad.data.registry import get_dataset
from synthad.report.claims import CLAIMS_DIR, load_table
from synthad.report.grid import Grid
from synthad.report.matching import Matcher, claim_datasets, match_table, to_unit
from synthad.report.paper_tables import CLAIM_ONLY, VARIANT, paper_grid, write_paper_tables

MVTEC = get_dataset("mvtec_ad").categories
DMP1 = load_table(CLAIMS_DIR / "dmp_table1.yaml")  # categories x methods, "Ours" = dmp, printed Average


def _frame(dataset="mvtec_ad", method="dmp", categories=MVTEC, seeds=(0, 1), metric="image_auroc"):
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        [
            dict(
                dataset=dataset,
                category=c,
                method=method,
                seed=s,
                metric=metric,
                value=float(rng.uniform(0.8, 1.0)),
            )
            for c in categories
            for s in seeds
        ]
    )


def test_a_run_cell_gets_claimed_ours_and_delta():
    frame = _frame()
    records = match_table(DMP1, Matcher(frame))
    cell = records[(records["entry"] == "ours") & (records["category"] == "bottle")].iloc[0]
    ours = frame[frame["category"] == "bottle"]["value"] * 100
    assert cell["status"] == "reproduced" and cell["claimed"] == pytest.approx(99.5)
    assert cell["ours_mean"] == pytest.approx(ours.mean())
    assert cell["ours_std"] == pytest.approx(ours.std(ddof=1))
    assert cell["delta"] == pytest.approx(ours.mean() - 99.5)  # percentage points
    mean = records[(records["entry"] == "ours") & (records["kind"] == "printed_mean")].iloc[0]
    assert mean["ours_mean"] == pytest.approx(frame["value"].mean() * 100)
    assert mean["grid_row"] == DMP1.n_rows  # the printed Average is an extra row


def test_claim_only_rows_are_marked_and_have_no_ours():
    records = match_table(DMP1, Matcher(_frame()))
    assert set(records[records["entry"] == "cflow"]["status"]) == {"claim_only"}
    grid = paper_grid(
        DMP1, records, pd.DataFrame(columns=["dataset", "method", "config"]), _frame(), ReportConfig()
    )
    assert grid.header[1].endswith(CLAIM_ONLY) and grid.header[-1] == "Ours [dmp]"
    assert grid.rows[0].label == "bottle" and grid.rows[-1].label == "Average" and grid.rows[-1].rule
    assert grid.rows[0].cells[0].ours is None and grid.rows[0].cells[-1].ours is not None


def test_unmatched_data_sets_and_variants_stay_empty():
    # only two categories run: the cells are not run, the printed average partial
    records = match_table(DMP1, Matcher(_frame(categories=("bottle", "cable"))))
    ours = records[records["entry"] == "ours"].set_index("category")
    assert ours.at["bottle", "status"] == "reproduced" and ours.at["carpet", "status"] == "not_run"
    assert np.isnan(ours.at["carpet", "delta"]) and ours.at["mean", "status"] == "partial"
    dmp4 = load_table(CLAIMS_DIR / "dmp_table4.yaml")
    records = match_table(dmp4, Matcher(_frame()))
    assert set(records[records["overrides"].map(bool)]["status"]) == {"variant"}
    grid = paper_grid(
        dmp4, records, pd.DataFrame(columns=["dataset", "method", "config"]), _frame(), ReportConfig()
    )
    # row 1 (DRAEM: our draem method) and row 7 (the full model) are no variants
    assert [r.label.endswith(VARIANT) for r in grid.rows].count(False) == 2
    assert grid.header == ["method", "AUROC", "AP"]  # row 1's remapped pixel AP keeps the column's name


def test_data_set_matching_by_registry_source():
    assert claim_datasets({"mine": "mvtec_ad", "metal_plate": "folder", "rot": "rto:mvtec_ad"}) == {
        "mvtec_ad": ["mine"],
        "folder": ["metal_plate"],
        "MAD-RTO": ["rot"],
    }
    renamed = _frame(dataset="mine")
    assert match_table(DMP1, Matcher(renamed, {"mine": "mvtec_ad"}))["status"].eq("reproduced").any()
    assert not match_table(DMP1, Matcher(renamed, {"mine": "folder"}))["status"].eq("reproduced").any()
    assert not match_table(DMP1, Matcher(_frame(method="draem")))["status"].eq("reproduced").any()


def test_units():
    values = pd.Series([0.5, 0.25])
    assert list(to_unit(values, "image_auroc", "percent")) == [50.0, 25.0]
    assert list(to_unit(values, "pixel_auroc", "fraction")) == [0.5, 0.25]
    assert list(to_unit(pd.Series([20.0]), "inference_ms", "ms")) == [50.0]  # 20 images/s -> 50 ms


def test_files_of_every_paper_table(tmp_path):
    written, overview = write_paper_tables(
        [DMP1],
        _frame(),
        pd.DataFrame(columns=["dataset", "method", "config"]),
        None,
        ReportConfig(),
        tmp_path,
    )
    names = {p.name for p in written}
    assert {"paper_dmp_1.csv", "paper_dmp_1.tex", "paper_dmp_1.json", "paper_dmp_1_cells.csv"} <= names
    layout = pd.read_csv(tmp_path / "paper_dmp_1.csv", index_col=0, dtype=str)
    assert layout.loc["bottle", "Cflow [19] †"] == "100.0"
    assert (
        layout.loc["bottle", "Ours [dmp]"].startswith("99.5 | ")
        and layout.loc["bottle", "Ours [dmp]"].count("|") == 2
    )
    grid = Grid.from_json((tmp_path / "paper_dmp_1.json").read_text())
    assert grid.header == json.loads((tmp_path / "paper_dmp_1.json").read_text())["header"]
    assert overview.loc[0, "reproduced"] == 16 and overview.loc[0, "claim_only"] == 80
    tex = (tmp_path / "paper_dmp_1.tex").read_text()
    assert r"\dag{}" in tex and r"\shortstack" in tex and "Paper: 256x256" in tex


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_paper_tables_compile(tmp_path):
    realnet1 = load_table(CLAIMS_DIR / "realnet_table1.yaml")  # (a, b, c) cells, variants, claim-only rows
    frame = pd.concat([_frame(), _frame(method="realnet", metric="pixel_auroc")])
    write_paper_tables(
        [DMP1, realnet1],
        frame,
        pd.DataFrame(columns=["dataset", "method", "config"]),
        None,
        ReportConfig(),
        tmp_path,
    )
    texs = [tmp_path / "paper_dmp_1.tex", tmp_path / "paper_realnet_1.tex"]
    for tex in texs:
        check_latex_structure(tex.read_text())
    doc = tmp_path / "doc.tex"
    doc.write_text(
        "\\documentclass{article}\n\\usepackage{booktabs,graphicx,xcolor}\n\\begin{document}\n"
        + "".join(f"\\input{{{t}}}\n\\clearpage\n" for t in texs)
        + "\\end{document}\n"
    )
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:]


def test_an_ablation_row_is_filled_by_the_variant_with_exactly_its_overrides():
    dmp4 = load_table(CLAIMS_DIR / "dmp_table4.yaml")  # row 6: dmp with {large_kernel: false}
    variant_runs = _frame(method="dmp_no_lk").assign(value=lambda f: f["value"] - 0.1)  # unlike the base
    runs = pd.concat([_frame(), variant_runs])  # image AUROC of every category
    variants = {"dmp_no_lk": VariantEntry("dmp", {"large_kernel": False}),
                "dmp_other": VariantEntry("dmp", {"large_kernel": False, "epochs": 3})}
    records = match_table(dmp4, Matcher(runs, variants=variants))
    row6 = records[records["entry"] == "row6"].set_index("metric")
    assert row6.at["image_auroc", "status"] == "reproduced" and row6.at["image_ap", "status"] == "not_run"
    ours = runs[runs["method"] == "dmp_no_lk"].groupby("category")["value"].mean().mean() * 100
    assert np.isclose(row6.at["image_auroc", "ours_mean"], ours)  # the variant's runs, not the base's
    assert set(row6["our_method"]) == {"dmp_no_lk"}
    others = records[records["overrides"].map(bool) & (records["entry"] != "row6")]
    assert set(others["status"]) == {"variant"}  # no variant with exactly their overrides
    grid = paper_grid(dmp4, records, pd.DataFrame(columns=["dataset", "method", "config"]), runs,
                      ReportConfig())
    labels = [r.label for r in grid.rows]
    assert any(label.endswith("[dmp_no_lk]") for label in labels)  # named, no ‡
    assert [label.endswith(VARIANT) for label in labels].count(False) == 3  # row 1 (draem), 7 (dmp), 6
    assert any("add a `variants:` entry" in note for note in grid.notes)
    # without the variant the row stays a ‡ variant
    assert set(match_table(dmp4, Matcher(runs))[lambda r: r["entry"] == "row6"]["status"]) == {"variant"}


def test_dmp_table4_row1_is_filled_by_our_draem_runs():
    """Row 1 is DRAEM (its published 98.00 / 68.40): our draem's image AUROC and pixel AP, not a DMP run."""
    dmp4 = load_table(CLAIMS_DIR / "dmp_table4.yaml")
    runs = pd.concat([_frame(), _frame(method="draem"), _frame(method="draem", metric="pixel_ap")])
    records = match_table(dmp4, Matcher(runs))
    row1 = records[records["entry"] == "row1"].set_index("metric")
    assert set(row1["our_method"]) == {"draem"} and set(row1["status"]) == {"reproduced"}
    draem = runs[runs["method"] == "draem"]
    for metric in ("image_auroc", "pixel_ap"):
        ours = draem[draem["metric"] == metric].groupby("category")["value"].mean().mean() * 100
        assert np.isclose(row1.at[metric, "ours_mean"], ours)
    assert records[records["entry"] == "row2"]["overrides"].iloc[0]["anomaly_source"] == "draem"


def test_dmp_table3_shows_our_image_and_pixel_ap_side_by_side_and_flags_the_ambiguity():
    dmp3 = load_table(CLAIMS_DIR / "dmp_table3.yaml")
    runs = pd.concat([_frame(metric="image_ap"), _frame(metric="pixel_ap").assign(value=0.5)])
    records = match_table(dmp3, Matcher(runs))
    grid = paper_grid(dmp3, records, pd.DataFrame(columns=["dataset", "method", "config"]), runs,
                      ReportConfig())
    assert grid.header[-2:] == ["Ours, image AP [dmp]", "Ours, pixel AP (not printed) [dmp]"]
    bottle = next(r for r in grid.rows if r.label == "bottle")
    image, pixel = bottle.cells[-2:]
    assert image.claimed == [99.8] and np.isfinite(image.delta[0])  # the printed AP, filed as image AP
    assert pixel.claimed == [None] and pixel.ours == [50.0] and np.isnan(pixel.delta[0])  # no claim
    assert any("ambiguous" in note and "pixel AP" in note for note in grid.notes)


def test_the_dmp_preset_runs_every_row_of_dmp_table4():
    from pathlib import Path

    from synthad.config import variant_for
    from synthad.stages.validate import load_params

    repo = Path(__file__).resolve().parents[2]
    params = load_params(repo / "params.yaml", preset="dmp")
    entries = load_table(CLAIMS_DIR / "dmp_table4.yaml").entries.values()
    names = [variant_for(params.variants, e.method, e.overrides) if e.overrides else e.method
             for e in entries]
    assert None not in names and set(names) <= set(params.methods)
    assert len(set(names)) == 8  # eight rows, eight different runs
