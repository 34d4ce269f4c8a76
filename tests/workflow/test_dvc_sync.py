"""dvc.yaml and the Snakemake rules must stay in step (docs/pipeline.md#dvc-phase-stages).

Each DVC phase stage calls a Snakemake target rule with ``--allowed-rules``; every rule belongs to
exactly one phase, every output of a phase's rules lies under that stage's ``outs``, its rule file
is among the stage's ``deps``, and every ``params`` entry is a section of params.yaml.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml
from workflow_helpers import BIN, REPO, repo_params, run, stage_outputs, summary

DVC = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
TARGETS = {"all", "data_all", "masks_all", "banks_all", "train_all", "evaluate_all", "report_all"}


def _parse_cmd(cmd: str) -> tuple[str, list[str]]:
    words = shlex.split(cmd)
    assert words[0] == "snakemake", cmd
    allowed = words[words.index("--allowed-rules") + 1:]
    allowed = allowed[: next((i for i, w in enumerate(allowed) if w.startswith("-")), len(allowed))]
    return words[1], allowed


@pytest.fixture(scope="module")
def rule_names() -> set[str]:
    out = run([str(BIN / "snakemake"), "--list-rules"], REPO)
    return {line.strip() for line in out.splitlines() if re.fullmatch(r"\w+", line.strip())}


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    return summary(REPO)


def _rule_file(rule: str) -> str:
    for smk in sorted((REPO / "workflow/rules").glob("*.smk")):
        if re.search(rf"^rule {rule}:", smk.read_text(), flags=re.M):
            return str(smk.relative_to(REPO))
    raise AssertionError(f"rule {rule} not found in workflow/rules")


def test_every_rule_in_exactly_one_phase(rule_names):
    owners = {}
    for name, stage in DVC.items():
        target, allowed = _parse_cmd(stage["cmd"])
        assert target in rule_names and target in TARGETS, f"{name}: unknown target {target}"
        for rule in allowed:
            assert rule in rule_names, f"{name}: --allowed-rules names unknown rule {rule}"
            assert rule not in owners, f"rule {rule} in stages {owners.get(rule)} and {name}"
            owners[rule] = name
    assert set(owners) == rule_names - TARGETS


@pytest.mark.parametrize("name", sorted(DVC))
def test_phase_outputs_lie_under_stage_outs(name, outputs):
    _, allowed = _parse_cmd(DVC[name]["cmd"])
    outs = [Path(o) for o in stage_outputs(DVC[name])]
    for path, rule in outputs.items():
        if rule in allowed:
            assert any(Path(path) == o or o in Path(path).parents for o in outs), (
                f"{path} (rule {rule}) is not under the outs of DVC stage {name}: {outs}"
            )


@pytest.mark.parametrize("name", sorted(DVC))
def test_stage_deps_and_params_exist(name):
    stage = DVC[name]
    _, allowed = _parse_cmd(stage["cmd"])
    for rule in allowed:
        assert _rule_file(rule) in stage["deps"], f"{name}: add {_rule_file(rule)} to deps"
    for dep in stage["deps"]:
        produced = any(dep in stage_outputs(s) for s in DVC.values())
        assert produced or (REPO / dep).exists(), f"{name}: dependency {dep} does not exist"
    for key in stage.get("params", []):
        assert key in repo_params(), f"{name}: params section {key} is not in params.yaml"


def test_stages_reading_method_params_also_track_variants():
    # a variant's effective section is its base's method_params section updated by `variants`
    for name, stage in DVC.items():
        if "method_params" in stage.get("params", []):
            assert "variants" in stage["params"], f"{name}: lists method_params but not variants"
    assert "variants" in DVC["report"]["params"]  # the tables match ablation rows against them


def test_metrics_plots_and_lock_are_left_to_git():
    # `cache: false` files and dvc.lock are committed, so a clone compares commits without `dvc pull`
    declared = [e for stage in DVC.values() for kind in ("metrics", "plots") for e in stage.get(kind, [])]
    assert any("metrics" in stage for stage in DVC.values()), "dvc.yaml declares no metrics"
    files = ["dvc.lock"]
    for entry in declared:
        ((path, props),) = entry.items()
        assert props.get("cache") is False, f"{path}: declare it with cache: false"
        files.append(path if Path(path).suffix else f"{path}/demo/fabric/draem.csv")  # a folder: a file in it
    ignored = subprocess.run(["git", "check-ignore", *files], cwd=REPO, capture_output=True, text=True)
    assert ignored.returncode == 1, f".gitignore hides {ignored.stdout.split()}"
