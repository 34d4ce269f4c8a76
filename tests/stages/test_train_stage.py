"""``synthad train`` end to end on tiny real photographs, and its failure paths."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch

from synthad.cli import main
from synthad.stages.train import _default_checkpoint

TINY_DRAEM = {"epochs": 2, "batch_size": 2, "image_size": 32, "rec_base_width": 4, "disc_base_width": 4}


@pytest.fixture
def index_csv(tiny_index, tmp_path):
    path = tmp_path / "index" / "metal" / "plate.csv"
    path.parent.mkdir(parents=True)
    tiny_index.to_csv(path, index=False)
    return path


def _train(index_csv, out, textures, params=TINY_DRAEM, extra=()):
    return main(["train", "--index", str(index_csv), "--method", "draem", "--seed", "3", "--out", str(out),
                 "--params-json", json.dumps(params), "--no-progress", *extra,
                 *(["--bank", f"textures={textures}"] if textures else [])])


def test_train_writes_the_run_folder(index_csv, banks, tmp_path):
    out = tmp_path / "models" / "seed3"
    assert _train(index_csv, out, banks["textures"]) == 0
    identity = json.loads((out / "config.json").read_text())
    assert identity["method"] == "draem" and identity["seed"] == 3 and identity["category"] == "plate"
    assert identity["config"]["epochs"] == 2
    assert len(pd.read_csv(out / "train_log.csv")) == 2
    info = json.loads((out / "train_info.json").read_text())
    assert info["n_train_images"] == 6 and info["train_seconds"] > 0
    assert set(torch.load(out / "model.pt", weights_only=True))  # weights only, loadable safely
    assert not list(out.parent.glob(".seed3.state-*.pt")), "the resumable state is removed when done"


def test_missing_texture_folder_is_a_clear_error(index_csv, tmp_path, capsys):
    assert _train(index_csv, tmp_path / "out", None) == 1
    assert "needs textures" in capsys.readouterr().err


def test_mistyped_method_param_is_named(index_csv, tmp_path, capsys):
    assert _train(index_csv, tmp_path / "out", tmp_path, params={"epoch": 2}) == 1
    assert "method_params.draem.epoch" in capsys.readouterr().err


def test_checkpoint_name_follows_the_configuration(tmp_path):
    out = tmp_path / "seed0"
    first = _default_checkpoint(out, {"config": {"lr": 1e-4}})
    assert first.parent == tmp_path and first.name.startswith(".seed0.state-")
    assert _default_checkpoint(out, {"config": {"lr": 3e-4}}) != first
