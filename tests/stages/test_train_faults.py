"""``synthad train`` under faults: killed and resumed, diverging, stale state; byte-stable outputs."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pandas as pd
import pytest

import synthad.methods.draem.method as draem_method
from synthad.cli import main
from synthad.methods.draem.loss import DraemLoss
from synthad.methods.loop import EpochLoop
from synthad.stages.method_run import remove_stale_states
from synthad.utils.checkpoint import load_training_state

EPOCHS = 4
TINY_DRAEM = {"epochs": EPOCHS, "batch_size": 2, "image_size": 32, "rec_base_width": 4, "disc_base_width": 4}
TIMING_COLUMNS = ["seconds"]  # the only per-epoch timing of DRAEM's train_log.csv


@pytest.fixture
def index_csv(tiny_index, tmp_path):
    path = tmp_path / "index" / "metal" / "plate.csv"
    path.parent.mkdir(parents=True)
    tiny_index.to_csv(path, index=False)
    return path


def _train(index_csv: Path, out: Path, textures: Path) -> int:
    return main(["train", "--index", str(index_csv), "--method", "draem", "--seed", "3", "--out", str(out),
                 "--params-json", json.dumps(TINY_DRAEM), "--train-json", json.dumps({"checkpoint_every": 1}),
                 "--eval-json", json.dumps({"resolution": 32}), "--bank", f"textures={textures}",
                 "--no-progress"])


def _evaluate(index_csv: Path, model_dir: Path, out: Path) -> int:
    return main(["evaluate", "--index", str(index_csv), "--model-dir", str(model_dir), "--out", str(out),
                 "--params-json", json.dumps({"resolution": 32, "batch_size": 4}), "--device", "cpu",
                 "--no-progress"])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _info(out: Path) -> dict:
    return json.loads((out / "train_info.json").read_text())


class _Killed(Exception):
    """Stands for SIGKILL: the process state is gone, only the files remain."""


def test_a_run_killed_at_a_random_epoch_and_resumed_equals_an_uninterrupted_one(
        index_csv, banks, tmp_path, monkeypatch, capsys):
    kill_at = random.Random(17).randint(2, EPOCHS)  # seeded: the same epoch on every test run
    whole, resumed = tmp_path / "whole" / "seed3", tmp_path / "resumed" / "seed3"
    assert _train(index_csv, whole, banks["textures"]) == 0
    log = EpochLoop.log

    def log_then_kill(self, row, *shown):
        log(self, row, *shown)
        if row["epoch"] == kill_at:  # the epoch ran; its checkpoint is never saved
            raise _Killed

    with monkeypatch.context() as patch:
        patch.setattr(EpochLoop, "log", log_then_kill)
        with pytest.raises(_Killed):
            _train(index_csv, resumed, banks["textures"])
    assert not (resumed / "model.pt").exists()
    capsys.readouterr()
    assert _train(index_csv, resumed, banks["textures"]) == 0

    assert f"after epoch {kill_at - 1} of {EPOCHS}" in capsys.readouterr().err
    assert _sha256(resumed / "model.pt") == _sha256(whole / "model.pt")
    assert (resumed / "config.json").read_bytes() == (whole / "config.json").read_bytes()
    assert (resumed / "threshold.json").read_bytes() == (whole / "threshold.json").read_bytes()
    logs = [pd.read_csv(out / "train_log.csv") for out in (whole, resumed)]
    assert list(logs[1]["epoch"]) == list(range(1, EPOCHS + 1)), "the epochs before the kill are kept"
    pd.testing.assert_frame_equal(*(frame.drop(columns=TIMING_COLUMNS) for frame in logs))
    assert _info(whole)["epochs"] == _info(resumed)["epochs"] == EPOCHS
    assert _info(whole)["resumes"] == []
    assert _info(resumed)["resumes"] == [{"loop": "draem", "after_epoch": kill_at - 1, "of": EPOCHS}]
    # Both pieces count: the total covers every logged epoch, the ones of the killed piece included.
    assert _info(resumed)["train_seconds"] >= logs[1]["seconds"].sum()


def test_two_identical_runs_give_the_same_model_and_metrics_bytes(index_csv, banks, tmp_path):
    for name in ("a", "b"):
        assert _train(index_csv, tmp_path / name / "seed3", banks["textures"]) == 0
        assert _evaluate(index_csv, tmp_path / name / "seed3", tmp_path / name / "run") == 0
    for file in ("seed3/model.pt", "seed3/config.json", "seed3/threshold.json", "run/metrics.json",
                 "run/scores.csv", "run/maps.npz"):
        assert _sha256(tmp_path / "a" / file) == _sha256(tmp_path / "b" / file), file
    assert "decision_precision" in json.loads((tmp_path / "a" / "run" / "metrics.json").read_text())
    timing = json.loads((tmp_path / "a" / "run" / "timing.json").read_text())
    assert timing["inference_images_per_s"] > 0 and timing["train_seconds"] > 0


def test_a_nan_loss_stops_training_naming_the_method_epoch_and_step(index_csv, banks, tmp_path, monkeypatch,
                                                                   capsys):
    class NanOnFifthStep(DraemLoss):
        calls = 0

        def forward(self, *args):
            loss, terms = super().forward(*args)
            type(self).calls += 1
            return (loss * float("nan") if self.calls == 5 else loss), terms

    monkeypatch.setattr(draem_method, "DraemLoss", NanOnFifthStep)
    out = tmp_path / "seed3"
    assert _train(index_csv, out, banks["textures"]) == 1
    # 6 training images less 2 held out for the threshold, batch 2: two steps per epoch, so the fifth
    # is epoch 3, step 1.
    assert capsys.readouterr().err.splitlines() == [
        "synthad train: error: draem: loss is nan at epoch 3, step 1; lower the learning rate or check the"
        " training images"]
    assert not (out / "model.pt").exists()
    states = list(tmp_path.glob(".seed3.state-*.pt"))
    assert len(states) == 1 and load_training_state(states[0], {}) == 2, "the last good epoch's state stays"


def test_a_state_of_another_configuration_is_removed_at_the_start(index_csv, banks, tmp_path, capsys):
    stale = tmp_path / ".seed3.state-0123456789abcdef.pt"
    stale.write_bytes(b"a killed run with other params")
    artifact = Path(f"{stale}.afs.json")
    artifact.write_text("{}")
    other_run = tmp_path / ".seed30.state-0123456789abcdef.pt"
    other_run.write_bytes(b"the state of another output folder")
    assert _train(index_csv, tmp_path / "seed3", banks["textures"]) == 0
    assert not stale.exists() and not artifact.exists() and other_run.exists()
    assert capsys.readouterr().err.splitlines() == [
        f"removed the training state {stale} of another configuration (2 file(s))"]


def test_remove_stale_states_keeps_the_runs_own_state(tmp_path):
    own = tmp_path / ".seed0.state-00000000000000aa.pt"
    stale = tmp_path / ".seed0.state-00000000000000bb.pt"
    for path in (own, Path(f"{own}.gptnet"), stale, Path(f"{stale}.gptnet")):
        path.write_bytes(b"")
    remove_stale_states(tmp_path / "seed0", [own])
    assert sorted(p.name for p in tmp_path.iterdir()) == [own.name, f"{own.name}.gptnet"]
    remove_stale_states(tmp_path / "missing" / "seed0", [])  # no folder yet: nothing to do
