"""Ablation variants in the DAG (params.yaml ``variants:``).

A variant's jobs run its base method's code (``--method <registry key>``) with the base's section
updated by the variant's params, under the variant's own name; the tables get the variants so they
fill the papers' ablation rows.
"""

from __future__ import annotations

import copy
import json
import shlex

import pytest
from workflow_helpers import BIN, copy_workflow, job_counts, repo_params, run

VARIANTS = {
    "draem_short": {"method": "draem", "params": {"epochs": 1}},
    "slsg_short": {"method": "slsg", "params": {"steps": 10}},  # slsg has a pre-training phase
}


def _shell(out: str, stage: str, folder: str) -> list[str]:
    """The words of the one dry-run shell command of ``synthad <stage>`` writing into ``folder``."""
    line = next(line for line in out.splitlines() if f"synthad {stage} " in line and folder in line)
    return shlex.split(line.split(" > ")[0])


def _option(words: list[str], name: str) -> str:
    return words[words.index(name) + 1]


@pytest.mark.slow  # a Snakemake start-up: ~20 s on 2 busy cores
def test_variant_jobs_run_the_base_method_with_merged_params(tmp_path):
    params = copy.deepcopy(repo_params())
    params |= {"seeds": [0], "methods": ["draem", "slsg", *VARIANTS], "variants": VARIANTS}
    params["data"]["datasets"] = {"demo": {"categories": ["washer"]}}
    root = copy_workflow(tmp_path, params)
    out = run([str(BIN / "snakemake"), "train_all", "results/tables", "-n", "-p"], root)
    counts = job_counts(out)
    rules = ("train", "train_variant", "pretrain", "pretrain_variant")
    assert [counts[r] for r in rules] == [2, 2, 1, 1]

    variant = _shell(out, "train", "results/models/demo/washer/draem_short/seed0")
    base = _shell(out, "train", "results/models/demo/washer/draem/seed0")
    assert _option(variant, "--method") == _option(base, "--method") == "draem"
    draem = params["method_params"]["draem"]
    assert json.loads(_option(base, "--params-json")) == draem
    assert json.loads(_option(variant, "--params-json")) == draem | {"epochs": 1}  # the demo budget kept

    slsg = _shell(out, "train", "results/models/demo/washer/slsg_short/seed0")
    assert _option(slsg, "--method") == "slsg" and json.loads(_option(slsg, "--params-json"))["steps"] == 10
    assert "results/pretrain/demo/washer/slsg_short/seed0/pretrained.pt" in slsg
    pretrain = _shell(out, "pretrain", "results/pretrain/demo/washer/slsg_short/seed0")
    assert _option(pretrain, "--method") == "slsg"

    tables = _shell(out, "tables", "results/tables")
    assert json.loads(_option(tables, "--variants-json")) == VARIANTS
