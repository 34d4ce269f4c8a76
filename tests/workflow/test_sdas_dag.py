"""The SDAS part of the DAG, in a dry run of a configuration of two data sets.

One diffusion model (and guidance classifier) per data set, its categories as the classes; one bank
per category, sampled with its label.
"""

from __future__ import annotations

import copy

import pytest
from workflow_helpers import BIN, copy_workflow, job_counts, repo_params, run

DATASETS = {"demo": {"categories": ["fabric", "washer"]},
            "demo_rto": {"source": "rto", "base": "demo", "categories": ["washer", "circuit"]}}
PREVIEW = ["demo/fabric", "demo/washer", "demo_rto/circuit"]


def dry_run(root, guidance_scale: float) -> str:
    params = copy.deepcopy(repo_params())
    params["methods"] = ["mean_image"]  # no method needs SDAS: only the previews ask for banks
    params["data"]["datasets"] = DATASETS
    params["synthesis"]["sdas_preview"] = PREVIEW
    params["synthesis"]["sdas"] = params["synthesis"]["sdas"] | {"guidance_scale": guidance_scale}
    copy_workflow(root, params)
    return run([str(BIN / "snakemake"), "banks_all", "-n", "-p"], root)


@pytest.mark.parametrize("guidance_scale", [1.0, 0.0])
def test_one_model_per_data_set_and_a_bank_per_category(tmp_path, guidance_scale):
    out = dry_run(tmp_path, guidance_scale)
    counts = job_counts(out)
    assert counts["sdas_train"] == 2 and counts["sdas_bank"] == 3
    assert counts.get("sdas_classifier", 0) == (2 if guidance_scale else 0)
    train = [line for line in out.splitlines() if "synthad sdas-train" in line]
    assert any("--index data/index/demo_rto/washer.csv --index data/index/demo_rto/circuit.csv" in line
               and "--out data/banks/diffusion/demo_rto/model" in line for line in train)
    sample = next(line for line in out.splitlines() if "sdas-sample" in line and "demo_rto/circuit" in line)
    assert "--model data/banks/diffusion/demo_rto/model --category circuit" in sample
    assert ("--classifier data/banks/diffusion/demo_rto/classifier" in sample) == bool(guidance_scale)
