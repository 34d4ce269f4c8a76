"""DVC as its users use it (docs/dvc.md): experiments, metrics, plots, a remote and a fresh clone.

On the smallest pipeline (tiny DRAEM, one demo category, one seed) in a temporary git + DVC
repository: two ``dvc exp run -S method_params.draem.lr=...`` experiments must both appear in
``dvc exp show`` with the headline metric, ``dvc metrics diff`` and ``dvc plots diff`` must compare
them; after a commit and ``dvc push`` to a local remote, a fresh ``git clone`` + ``dvc pull`` must
restore the results with nothing left to re-run (``dvc status`` clean).
"""

from __future__ import annotations

import copy
import io
import json
import shutil

import pandas as pd
import pytest
from test_pipeline import TINY
from workflow_helpers import BIN, REPO, copy_workflow, run

CATEGORY = "washer"
KEY = f"demo/{CATEGORY}/draem"  # its entry in results/metrics/headline.json
LR_PARAM = "method_params.draem.lr"
EXPERIMENTS = {"lr-small": 1e-4, "lr-large": 1e-2}

PARAMS = copy.deepcopy(TINY)
PARAMS.update(seeds=[0], methods=["draem"])
PARAMS["data"]["datasets"] = {"demo": {"categories": [CATEGORY]}}
PARAMS["method_params"]["draem"]["lr"] = 1e-3  # as in params.yaml: `-S` overrides keys that exist


def dvc(root, *args: str) -> str:
    return run([str(BIN / "dvc"), *args], root)


def git(root, *args: str) -> str:
    return run(["git", *args], root)


@pytest.fixture(scope="module")
def experiments(tmp_path_factory):
    """The project after both experiments: the workspace holds the last one's results."""
    root = copy_workflow(tmp_path_factory.mktemp("project"), PARAMS)
    shutil.copy2(REPO / ".gitignore", root / ".gitignore")  # the repository's: what a user commits
    git(root, "init", "-q")
    git(root, "config", "user.email", "test@example.com")
    git(root, "config", "user.name", "test")
    dvc(root, "init", "-q")
    dvc(root, "config", "core.analytics", "false")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "baseline")
    for name, lr in EXPERIMENTS.items():
        dvc(root, "exp", "run", "-n", name, "-S", f"{LR_PARAM}={lr}")
    return root


@pytest.mark.slow
def test_exp_show_lists_both_experiments_with_the_metric(experiments):
    table = pd.read_csv(io.StringIO(dvc(experiments, "exp", "show", "--csv")))
    rows = table.set_index("Experiment").loc[list(EXPERIMENTS)]  # the baseline row, without results, has "!"
    assert pd.to_numeric(rows[LR_PARAM]).tolist() == list(EXPERIMENTS.values())
    for metric in ("image_auroc", "pixel_auroc", "pixel_aupro"):
        assert pd.to_numeric(rows[f"{KEY}.{metric}"]).between(0, 1).all(), metric


@pytest.mark.slow
def test_metrics_and_plots_diff_compare_the_experiments(experiments):
    small, large = EXPERIMENTS
    diff = json.loads(dvc(experiments, "metrics", "diff", small, large, "--json"))
    changed = diff["results/metrics/headline.json"]
    assert any(k.startswith(f"{KEY}.") for k in changed), diff  # the lr reached DRAEM's training
    plots = json.loads(dvc(experiments, "plots", "diff", small, large, "--json"))["data"]
    for name in (f"results/plots/roc/{KEY}.csv", f"results/plots/training/{KEY}.csv"):
        assert set(plots[name][0]["revisions"]) == {small, large}, name


@pytest.mark.slow
def test_push_then_pull_in_a_fresh_clone_needs_no_rerun(experiments, tmp_path):
    root = experiments
    dvc(root, "remote", "add", "-d", "local", str(tmp_path / "remote"))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "lr-large results")  # dvc.lock, params.yaml, metrics and plot files
    dvc(root, "push")

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(root), str(clone))
    assert (clone / "results/metrics/headline.json").is_file()  # from git: `cache: false`
    assert not (clone / "results/tables").exists()
    dvc(clone, "pull")
    for table in sorted((root / "results/tables").rglob("*.csv")):
        copy = clone / table.relative_to(root)
        assert copy.read_bytes() == table.read_bytes(), copy
    assert json.loads(dvc(clone, "status", "--json")) == {}  # every stage up to date: nothing re-runs
