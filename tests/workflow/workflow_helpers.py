"""Helpers for the workflow tests: run Snakemake/DVC in a copy of the workflow."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORKFLOW_FILES = ["Snakefile", "workflow", "profiles", "presets", "dvc.yaml", ".dvcignore", "src"]


def run(cmd: list[str], cwd: Path, timeout: int = 900) -> str:
    """Run a command with the venv's tools first on PATH; fail with its output on error."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", DVC_NO_ANALYTICS="1")
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout + proc.stderr


def stage_outputs(stage: dict) -> list[str]:
    """Every output path of a ``dvc.yaml`` stage: its ``outs``, ``metrics`` and ``plots``."""
    entries = [o for kind in ("outs", "metrics", "plots") for o in stage.get(kind, [])]
    return [next(iter(o)) if isinstance(o, dict) else o for o in entries]


def copy_workflow(dest: Path, params: dict) -> Path:
    """A copy of the workflow files with ``params`` as its params.yaml."""
    for name in WORKFLOW_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, dest / name)
    (dest / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return dest


def repo_params() -> dict:
    return yaml.safe_load((REPO / "params.yaml").read_text())


def summary(cwd: Path, target: str = "all") -> dict[str, str]:
    """``output file -> rule`` for every output of the DAG below ``target`` (``--summary``)."""
    out = run([str(BIN / "snakemake"), target, "--cores", "1", "--summary"], cwd)
    rows = [line.split("\t") for line in out.splitlines() if "\t" in line]
    header = rows[0]
    return {r[header.index("output_file")]: r[header.index("rule")] for r in rows[1:]}


def job_counts(dry_run_output: str) -> dict[str, int]:
    """The "Job stats" table of a Snakemake dry run as ``rule -> count``."""
    counts, in_table = {}, False
    for line in dry_run_output.splitlines():
        parts = line.split()
        if parts[:2] == ["job", "count"]:
            in_table = True
        elif in_table and len(parts) == 2 and parts[1].isdigit():
            if parts[0] != "total":
                counts[parts[0]] = int(parts[1])
        elif in_table and parts and not set("".join(parts)) <= {"-"}:
            break
    return counts
