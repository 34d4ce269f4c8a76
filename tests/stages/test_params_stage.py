"""``synthad params`` and the run options of ``synthad train`` reject impossible values with one line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import yaml

from synthad.cli import main
from synthad.errors import ConfigError
from synthad.stages.method_run import MethodRun

REPO = Path(__file__).resolve().parents[2]


def _params_stage(tmp_path: Path, capsys, **changes) -> tuple[int, str]:
    """Run ``synthad params --quiet`` on the repository's params.yaml with top-level ``changes``."""
    data = yaml.safe_load((REPO / "params.yaml").read_text()) | changes
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(data))
    code = main(["params", "--params", str(path), "--quiet"])
    return code, capsys.readouterr().err


def test_params_stage_accepts_the_repository_file(tmp_path, capsys):
    assert _params_stage(tmp_path, capsys) == (0, "")


def test_params_stage_rejects_a_repeated_seed(tmp_path, capsys):
    code, err = _params_stage(tmp_path, capsys, seeds=[0, 0])
    assert code == 1
    assert "params.yaml:seeds: seed 0 is listed more than once" in err


def test_params_stage_rejects_an_unknown_category(tmp_path, capsys):
    datasets = {"demo": {"categories": ["washer", "wahser"]}}
    code, err = _params_stage(tmp_path, capsys, data={"datasets": datasets})
    assert code == 1
    assert "params.yaml:data.datasets.demo.categories: unknown category 'wahser'" in err
    assert "washer" in err.split("known:")[1]  # the message lists the categories there are


def _parse(params_json: str) -> MethodRun:
    return MethodRun.parse(argparse.Namespace(method="draem", params_json=params_json, train_json="{}"))


@pytest.mark.parametrize(
    ("params_json", "message"),
    [
        ('{"lr": 0}', r"^method_params\.draem\.lr: 0\.0 is out of range \(must be > 0\)$"),
        ('{"lr": -1}', r"^method_params\.draem\.lr: -1\.0 is out of range \(must be > 0\)$"),
        ('{"lr": NaN}', r"^method_params\.draem\.lr: nan is not a finite number$"),  # json.loads reads NaN
        ('{"lr": "nan"}', r"^method_params\.draem\.lr: 'nan' is not a finite number$"),
    ],
)
def test_params_json_rejects_an_impossible_learning_rate(params_json, message):
    with pytest.raises(ConfigError, match=message):
        _parse(params_json)


def test_params_json_accepts_a_learning_rate_as_yaml_writes_it():
    assert _parse('{"lr": "1e-3"}').config.lr == 1e-3


def test_a_negative_seed_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--index", str(tmp_path / "none.csv"), "--method", "draem", "--seed", "-1",
              "--out", str(tmp_path / "out"), "--params-json", json.dumps({"epochs": 1})])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --seed: -1 is out of range (must be in [0, 4294967295])" in err
    assert "Traceback" not in err
