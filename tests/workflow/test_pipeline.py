"""The workflow itself: a dry run of the real configuration, and a tiny real run through DVC.

The tiny run proves the promise of the README: after a change of DRAEM's learning rate only,
``dvc repro`` re-runs the train, evaluate and report phases, and inside them Snakemake re-trains
and re-evaluates DRAEM only (the baseline's files are untouched).
"""

from __future__ import annotations

import copy

import pandas as pd
import pytest
import yaml
from workflow_helpers import BIN, REPO, copy_workflow, job_counts, repo_params, run

TINY_OVERRIDES = {
    "seeds": [0],
    "methods": ["mean_image", "draem"],
    "data": {"datasets": {"demo": {"categories": ["washer"]}}},
    "demo": {"image_size": 64, "n_train": 6, "n_test_good": 3, "n_test_defect": 4, "seed": 1},
    "method_params": {
        "mean_image": {"image_size": 32},
        "draem": {"epochs": 1, "batch_size": 2, "image_size": 32, "rec_base_width": 4, "disc_base_width": 4},
    },
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
TINY["data"]["datasets"] = {"demo": {"categories": ["washer"]}}
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
    assert set(metrics["method"]) == {"mean_image", "draem"}
    assert {"image_auroc", "pixel_aupro", "pixel_auroc"} <= set(metrics["metric"])
    tables = tiny_project / "results/tables"
    assert (tables / "summary_demo_draem.tex").is_file()
    assert (tables / "compare_demo_image_auroc.csv").is_file()
    assert (tiny_project / "results/figures/maps/demo/washer/draem.png").is_file()
    assert (tiny_project / "dvc.lock").is_file()


@pytest.mark.slow
def test_lr_change_reruns_only_draem(tiny_project):
    runs = tiny_project / "results/runs/demo/washer"
    models = tiny_project / "results/models/demo/washer"
    before = {p: p.stat().st_mtime_ns for p in [
        models / "mean_image/seed0/model.pt", runs / "mean_image/seed0/metrics.json",
        models / "draem/seed0/model.pt", runs / "draem/seed0/metrics.json",
        tiny_project / "data/index/demo/washer.csv",
    ]}
    params = copy.deepcopy(TINY)
    params["method_params"]["draem"]["lr"] = 3e-4
    (tiny_project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))

    dry = run([str(BIN / "snakemake"), "all", "-n"], tiny_project)
    assert job_counts(dry) == {"all": 1, "train": 1, "evaluate": 1, "aggregate": 1, "tables": 1, "figures": 1,
                               "plots": 1, "report_document": 1}
    out = run([str(BIN / "dvc"), "repro"], tiny_project)
    for stage in ("data", "banks", "masks"):
        assert f"Stage '{stage}' didn't change, skipping" in out
    for stage in ("train", "evaluate", "report"):
        assert f"Running stage '{stage}'" in out
    changed = {p.relative_to(tiny_project).as_posix() for p, t in before.items() if p.stat().st_mtime_ns != t}
    assert changed == {"results/models/demo/washer/draem/seed0/model.pt",
                       "results/runs/demo/washer/draem/seed0/metrics.json"}
