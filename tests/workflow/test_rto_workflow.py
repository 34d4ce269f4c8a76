"""The derived MAD-RTO data set in the DAG.

One ``rto`` job builds it from the base's index files, the normal ``index`` rule indexes it, and
the masks rule uses the base's foreground settings.
"""

from __future__ import annotations

import copy

import pytest
from workflow_helpers import BIN, copy_workflow, job_counts, repo_params, run


@pytest.mark.slow  # a Snakemake start-up: ~20 s on 2 busy cores
def test_rto_dataset_dry_run(tmp_path):
    params = copy.deepcopy(repo_params())
    params["data"]["datasets"] = {
        "demo": {"categories": ["washer", "fabric"]},
        "demo_rto": {"source": "rto", "base": "demo", "categories": ["all"],
                     "rto": {"max_angle": 40, "seed": 3}},
    }
    root = copy_workflow(tmp_path, params)
    out = run([str(BIN / "snakemake"), "data_all", "data/masks/demo_rto/circuit", "-n", "-p"], root)
    # rto needs the base's index of both object categories, even circuit that demo does not run
    assert job_counts(out) == {"demo": 1, "rto": 1, "index": 5, "masks": 1, "data_all": 1}
    shell = next(line for line in out.splitlines() if "synthad rto " in line)
    assert "--index data/index/demo/washer.csv data/index/demo/circuit.csv" in shell
    assert '"max_angle":40.0' in shell and '"seed":3' in shell and "--base demo" in shell
    assert '"invert":true' in next(line for line in out.splitlines() if "synthad masks " in line)
