"""Scale-out profiles (profiles/slurm, profiles/local-gpu).

They parse and plan, GPU rules ask for a GPU, the multi-GPU launcher pins and splits runs, and
(where a SLURM cluster answers) a tiny DAG runs through `--executor slurm`.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml
from workflow_helpers import BIN, REPO, copy_workflow, repo_params, run

SLURM = yaml.safe_load((REPO / "profiles/slurm/config.yaml").read_text())
GPU_RULES = ("sdas_train", "sdas_classifier", "sdas_bank", "train", "evaluate")


def _resources_of(dry_run: str, rule: str) -> list[str]:
    """The ``resources:`` line of every job of ``rule`` in a dry run's output."""
    blocks = dry_run.split("\nrule ")[1:] + dry_run.split("\nlocalrule ")[1:]
    lines = [b.split("\n") for b in blocks if b.startswith(f"{rule}:")]
    return [next(x for x in block if x.strip().startswith("resources:")) for block in lines]


class _Resources(dict):
    """What the SLURM plugin reads from a job: ``job.resources.get(k)`` and ``job.resources.k``."""

    __getattr__ = dict.get


@pytest.fixture(scope="module")
def slurm_dry_run() -> str:
    pytest.importorskip("snakemake_executor_plugin_slurm")
    # The dmp preset: nothing of it exists here, so every job is planned (and presets compose with profiles).
    return run([str(BIN / "snakemake"), "train_all", "-n", "--profile", "profiles/slurm",
                "--config", "preset=dmp"], REPO)


def test_slurm_profile_puts_training_on_gpu_nodes(slurm_dry_run):
    train = _resources_of(slurm_dry_run, "train")
    assert train and all("gpu=1" in r and "slurm_partition=gpu" in r for r in train)
    index = _resources_of(slurm_dry_run, "index")
    assert index and all("gpu=" not in r and "slurm_partition=cpu" in r for r in index)


@pytest.mark.parametrize("rule", GPU_RULES)
def test_slurm_plugin_turns_the_gpu_resource_into_sbatch_gpus(rule):
    pytest.importorskip("snakemake_executor_plugin_slurm")
    from snakemake_executor_plugin_slurm.utils import set_gres_string
    from snakemake_executor_plugin_slurm.validation import validate_slurm_extra

    resources = _Resources(SLURM["default-resources"] | SLURM["set-resources"][rule] | {"gpu": 1})
    job = type("Job", (), {"resources": resources})()
    assert set_gres_string(job).strip() == "--gpus=1"
    validate_slurm_extra(job)  # plugin 2.x refuses --gres/--gpus in slurm_extra


def test_local_gpu_profile_plans_with_a_gpu_budget():
    out = run([str(BIN / "snakemake"), "train_all", "-n", "--profile", "profiles/local-gpu",
               "--config", "preset=imm_alm"], REPO)
    assert "Using profiles profiles/local-gpu" in out
    train = _resources_of(out, "train")
    assert len(train) == 10 * 3 * 3 and all("gpu=1" in r for r in train)


FAKE_SNAKEMAKE = """#!/usr/bin/env bash
echo "${CUDA_VISIBLE_DEVICES:-none}|$*" >> "$RECORD"
if [[ " $* " == *" --summary "* ]]; then
  printf 'output_file\\tdate\\trule\\n'
  for k in 0 1 2 3 4; do for s in 0 1; do
    printf 'results/runs/d/c%s/m/seed%s/metrics.json\\t-\\tevaluate\\n' $k $s; done; done
  printf 'results/runs/d/c/m/seed0/scores.csv\\t-\\tevaluate\\n'
  printf 'results/models/d/c/m/seed0/model.pt\\t-\\ttrain\\n'
fi
"""


METRICS = "results/runs/d/c{}/m/seed0/metrics.json"  # seed 1 comes with seed 0: one evaluate job


def test_multi_gpu_launcher_pins_one_process_per_gpu_and_splits_the_runs(tmp_path):
    fake = tmp_path / "bin" / "snakemake"
    fake.parent.mkdir()
    fake.write_text(FAKE_SNAKEMAKE)
    fake.chmod(0o755)
    record = tmp_path / "calls.txt"
    env = dict(os.environ, PATH=f"{fake.parent}{os.pathsep}{os.environ['PATH']}", RECORD=str(record))
    subprocess.run(["bash", str(REPO / "profiles/local-gpu/multi-gpu.sh"), "2", "--config", "preset=dmp"],
                   cwd=tmp_path, env=env, check=True, capture_output=True, text=True)
    calls = [line.split("|") for line in record.read_text().splitlines()]
    assert calls[0][0] == "0" and calls[0][1].startswith("data_all masks_all banks_all")
    per_gpu = {gpu: [a for a in args.split() if a.endswith(".json")] for gpu, args in calls if "runs" in args}
    assert per_gpu == {"0": [METRICS.format(k) for k in (0, 2, 4)], "1": [METRICS.format(k) for k in (1, 3)]}
    launched = [args for _, args in calls if "--summary" not in args]
    assert all("preset=dmp" in args and "profiles/local-gpu" in args for args in launched)
    assert calls[-1][1].startswith("all ")


def _cluster_answers() -> bool:
    if not shutil.which("sbatch") or not shutil.which("sinfo"):
        return False
    try:
        return subprocess.run(["sinfo", "-h"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.slow
@pytest.mark.skipif(not _cluster_answers(), reason="needs a running SLURM cluster (sbatch, sinfo)")
def test_tiny_dag_runs_through_the_slurm_executor(tmp_path):
    pytest.importorskip("snakemake_executor_plugin_slurm")
    params = repo_params() | {
        "seeds": [0], "methods": ["mean_image"], "data": {"datasets": {"demo": {"categories": ["washer"]}}},
        "demo": {"image_size": 64, "n_train": 6, "n_test_good": 3, "n_test_defect": 4, "seed": 1},
        "method_params": {"mean_image": {"image_size": 32}},
    }
    root = copy_workflow(tmp_path, params)
    shutil.copytree(REPO / "presets", root / "presets")
    partition = subprocess.run(["sinfo", "-h", "-o", "%P"], capture_output=True, text=True).stdout.split()[0]
    out = run([str(BIN / "snakemake"), "data_all", "--profile", "profiles/slurm", "--slurm-no-account",
               "--default-resources", f"slurm_partition={partition.rstrip('*')}", "runtime=10", "mem_mb=500",
               "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "1",
               "--latency-wait", "5"], root, timeout=600)
    assert out.count("has been submitted with SLURM jobid") == 2  # demo + index, each an sbatch job
    assert (root / "data/index/demo/washer.csv").is_file()
