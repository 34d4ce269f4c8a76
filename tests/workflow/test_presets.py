"""Paper presets (presets/<paper>.yaml).

Each validates strictly and runs the paper's values, and both Snakemake (`--config preset=NAME`)
and DVC (the `preset` key) honour the switch.
"""

from __future__ import annotations

import pytest
import yaml
from workflow_helpers import BIN, REPO, copy_workflow, job_counts, repo_params, run, stage_outputs

from synthad.cli import main
from synthad.config import PRESETS_DIR, list_presets, method_key, method_section
from synthad.data.registry import get_dataset, resolve_categories
from synthad.methods import get_method, method_config
from synthad.stages.validate import load_params

PAPERS = [name for name in list_presets(REPO / PRESETS_DIR) if name != "demo"]
# (data set source -> categories run) of each paper's tables.
PAPER_GRIDS = {
    "dmp": {"mvtec_ad": 15},
    "ndpnet": {"mvtec_ad": 5, "dagm2007": 10},
    "imm_alm": {"rto:mvtec_ad": 10},
    "realnet": {"mvtec_ad": 15, "mpdd": 6, "btad": 3, "visa": 12},
    "slsg": {"mvtec_ad": 15, "btad": 3, "mvtec_loco": 5},
}


def _grid(params) -> dict[str, int]:
    grid = {}
    for name, entry in params.data.datasets.items():
        source = f"rto:{entry.base}" if entry.source == "rto" else entry.source or name
        grid[source] = len(resolve_categories(get_dataset(source), entry.categories))
    return grid


def test_every_paper_has_a_preset():
    assert sorted(PAPERS) == sorted(PAPER_GRIDS)


@pytest.mark.parametrize("name", PAPERS)
def test_preset_runs_the_papers_data_seeds_and_values_on_a_gpu(name):
    params = load_params(REPO / "params.yaml", preset=name)  # strict: every key, every method section
    assert params.preset == name and params.train.device == "cuda"
    assert params.seeds == [0, 1, 2]
    assert _grid(params) == PAPER_GRIDS[name]
    assert name in params.methods
    for method in params.methods:  # no CPU demo override leaks in: the Config defaults are the paper's
        base, variant = method_key(params, method), params.variants.get(method)
        paper = get_method(base).Config(**(variant.params if variant else {}))  # an ablation row's
        assert method_config(base, method_section(params, method)) == paper


def test_realnet_preset_trains_sdas_at_the_papers_settings():
    params = load_params(REPO / "params.yaml", preset="realnet")
    assert params.synthesis.sdas == {}  # SdasConfig defaults; the demo's 32 px CPU overrides are gone
    assert repo_params()["synthesis"]["sdas"]  # ... which the demo keeps


def test_params_stage_prints_the_resolved_preset(capsys):
    assert main(["params", "--params", str(REPO / "params.yaml"), "--preset", "slsg"]) in (0, None)
    resolved = yaml.safe_load(capsys.readouterr().out)
    assert resolved["preset"] == "slsg" and resolved["method_params"]["slsg"]["steps"] == 3500
    assert set(resolved["data"]["datasets"]) == {"btad", "mvtec_ad", "mvtec_loco"}


def test_snakemake_plans_the_preset_given_on_the_command_line():
    out = run([str(BIN / "snakemake"), "train_all", "-n", "--config", "preset=ndpnet"], REPO)
    assert job_counts(out)["train"] == (5 + 10) * 2 * 3  # categories x [mean_image, ndpnet] x seeds


@pytest.fixture
def dvc_project(tmp_path):
    """A copy of the workflow whose dvc.lock records the demo (placeholder outputs, nothing run)."""
    root = copy_workflow(tmp_path, repo_params())
    for stage in yaml.safe_load((root / "dvc.yaml").read_text())["stages"].values():
        for out in map(root.joinpath, stage_outputs(stage)):
            target = out if not out.suffix else out.parent
            target.mkdir(parents=True, exist_ok=True)
            (out / "placeholder" if not out.suffix else out).write_text("x")
    run(["git", "init", "-q"], root)
    run([str(BIN / "dvc"), "init", "-q"], root)
    run([str(BIN / "dvc"), "commit", "-f", "-q"], root)
    assert "up to date" in run([str(BIN / "dvc"), "status"], root)
    return root


def test_dvc_reruns_every_phase_when_the_preset_changes(dvc_project):
    params = repo_params() | {"preset": "dmp"}
    (dvc_project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    status = yaml.safe_load(run([str(BIN / "dvc"), "status", "--json"], dvc_project))
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    assert set(status) == set(stages)
    for name, changes in status.items():
        assert {"changed deps": {"params.yaml": {"preset": "modified"}}} in changes, name


def test_dvc_reruns_every_phase_when_a_preset_file_changes(dvc_project):
    with (dvc_project / PRESETS_DIR / "slsg.yaml").open("a") as f:
        f.write("# edited\n")
    status = yaml.safe_load(run([str(BIN / "dvc"), "status", "--json"], dvc_project))
    assert all({"changed deps": {PRESETS_DIR: "modified"}} in changes for changes in status.values())
