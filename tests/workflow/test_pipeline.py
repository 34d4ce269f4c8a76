"""The workflow itself: a dry run of the real configuration, and a tiny real run through DVC.

The tiny run is the CI check of the whole pipeline (issue: "CI regenerates the tables"): every
registered method at its contract-test size, on two demo categories and two seeds, through
``dvc repro``; the unified table must hold a number with a standard deviation for every method
and category, and every transcribed paper table must be rendered. It also proves the promise of
the README: after a change of DRAEM's learning rate only, ``dvc repro`` re-runs the train,
evaluate and report phases, and inside them Snakemake re-trains and re-evaluates DRAEM only (the
other methods' files are untouched). One ablation variant of DRAEM runs beside them: it re-runs
with its base's section, and an edit of its own params re-runs it alone.
"""

from __future__ import annotations

import copy

import pandas as pd
import pytest
import yaml
from tiny_methods import TINY as TINY_METHODS
from workflow_helpers import BIN, REPO, copy_workflow, job_counts, repo_params, run

from synthad.methods import list_methods
from synthad.report.claims import load_claims

METHODS = [key for key in list_methods() if not key.startswith("_")]
VARIANT = "draem_fixed_kernel"  # DRAEM, score kernel not scaled to the image size: cheap, a real field
VARIANTS = {VARIANT: {"method": "draem", "params": {"scale_score_kernel": False}}}
CATEGORIES = ["fabric", "washer"]
SEEDS = [0, 1]
# RealNet draws from textures here: an SDAS bank would train a diffusion model per category.
TINY_METHOD_PARAMS = copy.deepcopy(TINY_METHODS)
TINY_METHOD_PARAMS["realnet"]["anomaly_source"] = "textures"
TINY_OVERRIDES = {
    "seeds": SEEDS,
    "methods": [*METHODS, VARIANT],
    "variants": VARIANTS,
    "data": {"datasets": {"demo": {"categories": CATEGORIES}}},
    "demo": {"image_size": 64, "n_train": 6, "n_test_good": 3, "n_test_defect": 4, "seed": 1},
    "method_params": TINY_METHOD_PARAMS,
    "evaluate": {"resolution": 64},
    "report": {"figure_images": 2},
}


def _merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        both_dicts = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merge(out[key], value) if both_dicts else value
    return out


# Every section stays present (DVC requires the params it tracks), only sizes shrink.
TINY = _merge(repo_params(), TINY_OVERRIDES)
TINY["data"]["datasets"] = {"demo": {"categories": CATEGORIES}}
TINY["method_params"] = copy.deepcopy(TINY_OVERRIDES["method_params"])


def test_dry_run_of_repository_params():
    out = run([str(BIN / "snakemake"), "all", "-n"], REPO)
    counts = job_counts(out)
    params = repo_params()
    n_runs = len(params["seeds"]) * len(params["methods"]) * 4  # the demo has four categories
    if counts:  # nothing to do when results are already complete in the working copy
        assert counts.get("train", 0) <= n_runs


@pytest.fixture(scope="module")
def tiny_project(tmp_path_factory):
    root = copy_workflow(tmp_path_factory.mktemp("project"), TINY)
    run(["git", "init", "-q"], root)
    run([str(BIN / "dvc"), "init", "-q"], root)
    run([str(BIN / "dvc"), "config", "core.analytics", "false"], root)
    run([str(BIN / "dvc"), "repro"], root)
    return root


@pytest.mark.slow
def test_dvc_repro_builds_every_output(tiny_project):
    metrics = pd.read_csv(tiny_project / "results/metrics.csv")
    assert set(metrics["method"]) == {*METHODS, VARIANT}
    assert {"image_auroc", "pixel_aupro", "pixel_auroc"} <= set(metrics["metric"])
    tables = tiny_project / "results/tables"
    assert (tables / "summary_demo_draem.tex").is_file()
    assert (tables / "compare_demo_image_auroc.csv").is_file()
    assert (tiny_project / "results/figures/maps/demo/washer/draem.png").is_file()
    assert (tiny_project / "results/pretrain/demo/washer/slsg/seed0/pretrained.pt").is_file()
    assert (tiny_project / f"results/figures/maps/demo/washer/{VARIANT}.png").is_file()
    assert (tiny_project / "reports/report.html").is_file()
    assert (tiny_project / "reports/report.tex").is_file()
    phases = pd.read_csv(tiny_project / "reports/costs_phases.csv", index_col="phase")  # benchmark files
    assert {"data", "masks", "banks", "pretrain", "train", "evaluate", "report"} <= set(phases.index)
    assert (tiny_project / "dvc.lock").is_file()


@pytest.mark.slow
def test_unified_table_has_every_cell_our_methods_fill(tiny_project):
    values = pd.read_csv(tiny_project / "results/tables/unified_demo_values.csv")
    cells = values[values["category"] != "mean"].set_index(["category", "method"])
    assert set(cells.index) == {(c, m) for c in CATEGORIES for m in [*METHODS, VARIANT]}
    for metric in ("image_auroc", "pixel_auroc", "pixel_aupro"):
        assert cells[f"{metric}_mean"].between(0, 100).all(), metric
        assert cells[f"{metric}_std"].notna().all(), metric  # two seeds: a std in every cell
    assert (cells["n_seeds"] == len(SEEDS)).all()
    assert (cells[["train_hours", "inference_images_per_s", "peak_memory_mb"]] > 0).all().all()


@pytest.mark.slow
def test_every_transcribed_paper_table_is_rendered(tiny_project):
    papers = tiny_project / "results/tables/papers"
    for table in load_claims():
        stem = f"paper_{table.paper}_{table.table}".lower()
        for suffix in (".csv", ".tex"):
            assert (papers / f"{stem}{suffix}").is_file(), stem + suffix


@pytest.mark.slow
def test_lr_change_reruns_only_draem_and_its_variant(tiny_project):
    runs = tiny_project / "results/runs/demo/washer"
    models = tiny_project / "results/models/demo/washer"
    others = [m for m in METHODS if m != "draem"]
    untouched = [models / f"{m}/seed0/model.pt" for m in others]
    untouched += [runs / f"{m}/seed0/metrics.json" for m in others]
    before = {p: p.stat().st_mtime_ns for p in [
        *untouched, models / "draem/seed0/model.pt", runs / "draem/seed0/metrics.json",
        models / f"{VARIANT}/seed0/model.pt", runs / f"{VARIANT}/seed0/metrics.json",
        tiny_project / "data/index/demo/washer.csv",
    ]}
    params = copy.deepcopy(TINY)
    params["method_params"]["draem"]["lr"] = 3e-4
    (tiny_project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))

    dry = run([str(BIN / "snakemake"), "all", "-n"], tiny_project)
    n_runs = len(CATEGORIES) * len(SEEDS)  # DRAEM's runs, and its variant's: it shares DRAEM's section
    n_evals = len(CATEGORIES)  # one evaluate job scores every seed of a (category, method)
    report = {"aggregate": 1, "tables": 1, "figures": 1, "plots": 1, "dvc_data": 1, "report_document": 1}
    assert job_counts(dry) == {"all": 1, "train": n_runs, "train_variant": n_runs, "evaluate": 2 * n_evals,
                               **report}
    out = run([str(BIN / "dvc"), "repro"], tiny_project)
    for stage in ("data", "banks", "masks"):
        assert f"Stage '{stage}' didn't change, skipping" in out
    for stage in ("train", "evaluate", "report"):
        assert f"Running stage '{stage}'" in out
    changed = {p.relative_to(tiny_project).as_posix() for p, t in before.items() if p.stat().st_mtime_ns != t}
    assert changed == {"results/models/demo/washer/draem/seed0/model.pt",
                       "results/runs/demo/washer/draem/seed0/metrics.json",
                       f"results/models/demo/washer/{VARIANT}/seed0/model.pt",
                       f"results/runs/demo/washer/{VARIANT}/seed0/metrics.json"}

    params["variants"][VARIANT]["params"]["epochs"] = 2  # the variant's own params: it alone re-runs
    (tiny_project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    dry = run([str(BIN / "snakemake"), "all", "-n"], tiny_project)
    assert job_counts(dry) == {"all": 1, "train_variant": n_runs, "evaluate": n_evals, **report}
