"""End to end through the CLI on a fake method: evaluate, aggregate, tables, figures, plots, report."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import fake_methods as fakes
import pandas as pd
import pytest

from synthad.cli import main
from synthad.report.claims import CLAIMS_DIR


@pytest.fixture
def evaluated(tmp_path, monkeypatch):
    """Two seeds of the fake method on one category, evaluated through ``synthad evaluate``."""
    monkeypatch.chdir(tmp_path)
    index = fakes.make_dataset(Path("data"))
    for seed, gain in ((0, 1.0), (1, 0.5)):
        model = fakes.make_model_dir(Path(f"results/models/toy/widget/{fakes.FAKE_KEY}/seed{seed}"),
                                     seed=seed, gain=gain)
        rc = main(["evaluate", "--index", str(index), "--model-dir", str(model), "--no-progress",
                   "--params-json", json.dumps({"resolution": 32, "batch_size": 4}),
                   "--out", f"results/runs/toy/widget/{fakes.FAKE_KEY}/seed{seed}"])
        assert rc == 0
    return tmp_path


def test_pipeline_of_report_stages(evaluated):
    assert main(["aggregate", "--out", "results/metrics.csv", "--runs-dir", "results/runs"]) == 0
    frame = pd.read_csv("results/metrics.csv")
    assert list(frame.columns) == ["dataset", "category", "method", "seed", "metric", "value"]
    assert set(frame["seed"]) == {0, 1} and "pixel_aupro" in set(frame["metric"])

    report = json.dumps({"scale": 100.0, "decimals": 1, "figure_images": 3})
    assert main(["tables", "--metrics", "results/metrics.csv", "--params-json", report,
                 "--out", "results/tables"]) == 0
    summary = pd.read_csv(f"results/tables/summary_toy_{fakes.FAKE_KEY}.csv", index_col=0)
    assert list(summary.index) == ["widget", "mean"] and (summary["n_seeds"] == 2).all()
    assert summary.loc["widget", "image_auroc_mean"] == pytest.approx(100.0)
    assert Path("results/tables/compare_toy_pixel_aupro.tex").read_text().count(r"\toprule") == 1
    assert Path("results/tables/cost_toy.csv").is_file()

    assert main(["figures", "--runs-dir", "results/runs", "--index-dir", "data/index",
                 "--out", "results/figures/maps", "--params-json", report]) == 0
    png = Path(f"results/figures/maps/toy/widget/{fakes.FAKE_KEY}.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_one_call_evaluates_several_runs_as_separate_calls_do(evaluated):
    models = [f"results/models/toy/widget/{fakes.FAKE_KEY}/seed{seed}" for seed in (0, 1)]
    outs = ["results/runs_together/seed0", "results/runs_together/seed1"]
    assert main(["evaluate", "--index", "data/index/toy/widget.csv", "--model-dir", *models, "--out", *outs,
                 "--params-json", json.dumps({"resolution": 32, "batch_size": 4}), "--no-progress"]) == 0
    for seed, out in enumerate(outs):
        alone = Path(f"results/runs/toy/widget/{fakes.FAKE_KEY}/seed{seed}")
        assert (Path(out) / "metrics.json").read_bytes() == (alone / "metrics.json").read_bytes()
        assert (Path(out) / "scores.csv").read_bytes() == (alone / "scores.csv").read_bytes()


def test_model_dirs_and_outs_must_pair(evaluated, capsys):
    rc = main(["evaluate", "--index", "data/index/toy/widget.csv", "--model-dir", "a", "b", "--out", "x"])
    assert rc == 1 and "one run folder per model folder" in capsys.readouterr().err
    assert not Path("x").exists()


def test_bad_model_dir_is_a_clean_error(evaluated, capsys):
    rc = main(["evaluate", "--index", "data/index/toy/widget.csv", "--model-dir", "results/models/nothing",
               "--out", "results/runs/x", "--no-progress"])
    assert rc == 1 and "config.json" in capsys.readouterr().err
    assert main(["tables", "--metrics", "missing.csv", "--out", "t"]) == 1


def test_plots_paper_tables_and_report(evaluated, tmp_path):
    for seed in (0, 1):  # a loss log for the training curves
        pd.DataFrame({"epoch": [0, 1, 2], "loss": [1.0, 0.5, 0.2], "n_images": 8}).to_csv(
            f"results/models/toy/widget/{fakes.FAKE_KEY}/seed{seed}/train_log.csv", index=False)
    claims = tmp_path / "claims"
    claims.mkdir()
    (claims / "dmp_table1.yaml").write_text((CLAIMS_DIR / "dmp_table1.yaml").read_text())
    assert main(["aggregate", "--out", "results/metrics.csv", "--runs-dir", "results/runs",
                 "--models-dir", "results/models", "--settings-out", "results/run_settings.csv"]) == 0
    settings = pd.read_csv("results/run_settings.csv")
    assert list(settings["image_size"]) == [32, 32] and set(settings["device"]) == {"cpu"}
    assert main(["tables", "--metrics", "results/metrics.csv", "--settings", "results/run_settings.csv",
                 "--datasets-json", '{"toy": "toy"}', "--claims-dir", str(claims),
                 "--out", "results/tables"]) == 0
    assert Path("results/tables/unified_toy.tex").is_file()
    assert Path("results/tables/papers/paper_dmp_1.tex").is_file()
    assert "32 px" in Path("results/tables/unified_toy.tex").read_text()  # the scale note

    assert main(["plots", "--runs-dir", "results/runs", "--models-dir", "results/models", "--index-dir",
                 "data/index", "--metrics", "results/metrics.csv", "--out", "results/figures/compare"]) == 0
    pngs = sorted(Path("results/figures/compare").rglob("*.png"))
    assert [p.parts[3] for p in pngs] == ["grid", "roc", "training"]  # no box plot of one category
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 2000 for p in pngs)

    bench = Path("logs/benchmarks")  # as Snakemake writes them; the report's own is left out
    for rel, seconds in (("train/dataset=toy/category=widget/method=fake/seed=0.tsv", 7.0),
                         ("aggregate.tsv", 1.0), ("report_document.tsv", 99.0)):
        (bench / rel).parent.mkdir(parents=True, exist_ok=True)
        (bench / rel).write_text(f"s\th:m:s\tmax_rss\tcpu_time\n{seconds}\t0:00:07\t123.4\t6.5\n")
    assert main(["report", "--tables", "results/tables", "--figures", "results/figures/compare",
                 "--skip-rule", "report_document", "--out", "reports"]) == 0
    page = Path("reports/report.html").read_text()
    latex = Path("reports/report.tex").read_text()
    for key in ("headline_toy", "costs_phases", "costs_methods", "papers_overview", "paper_dmp_1"):
        assert f'id="{key}"' in page and rf"\input{{tables/{key}.tex}}" in latex
    # the answer first: methods (then the claims: none here), cost, figures; the paper tables' counts last
    order = [page.index(f'id="{k}"') for k in ("headline_toy", "costs_phases", "papers_overview")]
    assert order == sorted(order) and page.index("no printed number has ours beside it") < order[1]
    assert 'id="unified_toy"' not in page  # one category: the headline is the whole table
    assert 'id="claims_summary"' not in page
    phases = pd.read_csv("reports/costs_phases.csv", index_col="phase")
    assert phases["wall_s"].to_dict() == {"train": 7.0, "report": 1.0, "total": 8.0}
    assert page.count("data:image/png;base64,") == len(pngs) and "<script" not in page
    if shutil.which("pdflatex"):
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "report.tex"],
                              cwd="reports", capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout[-2000:]


def test_a_variant_keeps_its_name_through_aggregate_and_tables(evaluated):
    # a variant's model folder: the base's registry key in config.json, the variant's name as folder
    name = "fake_half_gain"
    model = fakes.make_model_dir(Path(f"results/models/toy/widget/{name}/seed0"), gain=0.5, image_size=16)
    assert main(["evaluate", "--index", "data/index/toy/widget.csv", "--model-dir", str(model),
                 "--no-progress", "--params-json", json.dumps({"resolution": 32, "batch_size": 4}),
                 "--out", f"results/runs/toy/widget/{name}/seed0"]) == 0
    assert main(["aggregate", "--out", "results/metrics.csv", "--runs-dir", "results/runs",
                 "--models-dir", "results/models", "--settings-out", "results/run_settings.csv"]) == 0
    assert set(pd.read_csv("results/metrics.csv")["method"]) == {fakes.FAKE_KEY, name}
    settings = pd.read_csv("results/run_settings.csv").set_index("method")
    assert settings.at[name, "image_size"] == 16  # read from the variant's own model folder
    variants = json.dumps({name: {"method": fakes.FAKE_KEY, "params": {"gain": 0.5}}})
    assert main(["tables", "--metrics", "results/metrics.csv", "--settings", "results/run_settings.csv",
                 "--variants-json", variants, "--no-papers", "--out", "results/tables"]) == 0
    assert Path(f"results/tables/summary_toy_{name}.csv").is_file()
    assert name in Path("results/tables/unified_toy.csv").read_text()
