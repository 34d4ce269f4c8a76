"""``synthad train`` end to end on tiny real photographs, and its failure paths."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import torch

from synthad.cli import main
from synthad.masks.foreground import mask_file_for
from synthad.methods import Method, list_methods, register
from synthad.stages.method_run import default_checkpoint

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
    assert info["n_train_images"] == 4 and info["n_holdout_images"] == 2  # 6 minus 2 held out (threshold)
    assert info["train_seconds"] > 0
    assert json.loads((out / "threshold.json").read_text())["n_holdout"] == 2
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
    first = default_checkpoint(out, {"config": {"lr": 1e-4}})
    assert first.parent == tmp_path and first.name.startswith(".seed0.state-")
    assert default_checkpoint(out, {"config": {"lr": 3e-4}}) != first


@dataclass
class _SourcesConfig:
    image_size: int = 32


class _CountSources(Method):
    """Stores how many other-category images ``fit`` could read through ``context.source_pool``."""

    Config = _SourcesConfig
    needs = frozenset({"dataset_images"})

    def fit(self, train, context):
        pool = context.source_pool(self.config.image_size)
        self.count = 0 if pool is None else len(pool)
        self.foreground_mean = 1.0 if pool is None else float(pool.foregrounds.mean())
        if context.checkpoint_path is not None:  # a run artifact, as RealNet's AFS indices
            Path(f"{context.checkpoint_path}.probe.json").write_text(json.dumps({"count": self.count}))

    def predict(self, images):  # pragma: no cover - not used here
        raise NotImplementedError

    def state_dict(self):
        return {"count": torch.tensor(self.count), "fg": torch.tensor(self.foreground_mean)}

    def load_state_dict(self, state):  # pragma: no cover - not used here
        raise NotImplementedError


@pytest.fixture(scope="module")
def sources_key():
    if "_test_sources" not in list_methods():
        register("_test_sources")(_CountSources)
    return "_test_sources"


def test_dataset_sources_reach_fit(index_csv, sources_key, tmp_path):
    other = index_csv.parent / "other.csv"
    other.write_text(index_csv.read_text())
    masks = tmp_path / "masks"
    for path in pd.read_csv(other)["path"]:
        mask = np.zeros((8, 8), np.uint8)
        mask[:4] = 255
        target = mask_file_for(masks, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(target), mask)
    run = ["train", "--index", str(index_csv), "--method", sources_key, "--seed", "0", "--no-progress",
           "--train-json", json.dumps({"holdout_fraction": 0})]  # no predict: nothing to set a threshold with
    assert main([*run, "--out", str(tmp_path / "none")]) == 0
    assert torch.load(tmp_path / "none" / "model.pt")["count"] == 0  # one-category data set: no sources
    flags = ["--source-index", str(other), "--source-masks", str(masks)]
    assert main([*run, "--out", str(tmp_path / "two"), *flags]) == 0
    state = torch.load(tmp_path / "two" / "model.pt")
    assert state["count"] == 6 and state["fg"] == pytest.approx(0.5)  # 6 train images, half foreground
    assert json.loads((tmp_path / "two" / "probe.json").read_text()) == {"count": 6}
    assert not list(tmp_path.glob(".two.state-*")), "checkpoint and its artifacts leave nothing behind"


def test_unpaired_source_masks_are_an_error(index_csv, sources_key, tmp_path, capsys):
    run = ["train", "--index", str(index_csv), "--method", sources_key, "--seed", "0", "--out", str(tmp_path),
           "--source-index", str(index_csv), "--source-masks", str(tmp_path), "--source-masks", str(tmp_path)]
    assert main(run) == 1
    assert "one --source-masks per --source-index" in capsys.readouterr().err


@dataclass
class _PretrainConfig:
    image_size: int = 32


class _Pretrains(Method):
    """A method with a pre-training phase: ``pretrain`` counts images, ``fit`` reads the file back."""

    Config = _PretrainConfig
    has_pretraining = True

    def pretrain(self, train, context):
        context.log({"epoch": 1})
        return {"count": torch.tensor(float(len(train) + context.seed))}

    def fit(self, train, context):
        state = torch.load(context.pretrained, weights_only=True) if context.pretrained else {}
        self.count = state.get("count", torch.tensor(-1.0))

    def predict(self, images):  # pragma: no cover - not used here
        raise NotImplementedError

    def state_dict(self):
        return {"count": self.count}

    def load_state_dict(self, state):  # pragma: no cover - not used here
        raise NotImplementedError


@pytest.fixture(scope="module")
def pretrains_key():
    if "_test_pretrains" not in list_methods():
        register("_test_pretrains")(_Pretrains)
    return "_test_pretrains"


def test_pretrain_stage_output_reaches_fit_through_pretrained(index_csv, pretrains_key, tmp_path):
    common = ["--index", str(index_csv), "--method", pretrains_key, "--seed", "2", "--no-progress"]
    assert main(["pretrain", *common, "--out", str(tmp_path / "held")]) == 0  # default train: section
    held = torch.load(tmp_path / "held" / "pretrained.pt", weights_only=True)["count"]
    assert held == 4 + 2, "the 2 images train holds out for its threshold are not pre-trained on either"
    common += ["--train-json", json.dumps({"holdout_fraction": 0})]  # no predict: no threshold
    assert main(["pretrain", *common, "--out", str(tmp_path / "pre")]) == 0
    weights = tmp_path / "pre" / "pretrained.pt"
    assert torch.load(weights, weights_only=True)["count"] == 6 + 2  # 6 training images, seed 2
    assert len(pd.read_csv(tmp_path / "pre" / "pretrain_log.csv")) == 1
    assert not list(tmp_path.glob(".pre.state-*")), "no resumable state left behind"
    assert main(["train", *common, "--out", str(tmp_path / "run"), "--pretrained", str(weights)]) == 0
    assert torch.load(tmp_path / "run" / "model.pt")["count"] == 8
    identity = json.loads((tmp_path / "run" / "config.json").read_text())
    assert len(identity["pretrained_sha256"]) == 64  # a new pre-training never resumes a stale run
    assert main(["train", *common, "--out", str(tmp_path / "plain")]) == 0
    assert torch.load(tmp_path / "plain" / "model.pt")["count"] == -1  # optional: fit decides


def test_pretrained_flag_errors(index_csv, pretrains_key, banks, tmp_path, capsys):
    assert _train(index_csv, tmp_path / "d", banks["textures"], extra=["--pretrained", str(index_csv)]) == 1
    assert "has no pre-training phase" in capsys.readouterr().err
    run = ["train", "--index", str(index_csv), "--method", pretrains_key, "--seed", "0",
           "--out", str(tmp_path)]
    assert main([*run, "--pretrained", str(tmp_path / "missing.pt")]) == 1
    assert "no such file" in capsys.readouterr().err
    pre = ["pretrain", "--index", str(index_csv), "--method", "draem", "--seed", "0", "--out", str(tmp_path)]
    assert main(pre) == 1
    assert "has no pre-training phase" in capsys.readouterr().err


def test_slsg_pretrain_then_train_from_the_command_line(index_csv, banks, tmp_path):
    params = json.dumps({"image_size": 32, "backbone_weights": "random", "decoder_widths": [8, 8, 8, 8],
                         "skip_channels": 4, "disc_width": 4, "pretrain_epochs": 1, "pretrain_batch_size": 2,
                         "steps": 2, "normal_per_batch": 1, "anomalous_per_batch": 1, "log_every": 1,
                         "foreground": False})
    common = ["--index", str(index_csv), "--method", "slsg", "--seed", "0", "--params-json", params,
              "--train-json", json.dumps({"num_threads": 1}), "--no-progress"]
    assert main(["pretrain", *common, "--out", str(tmp_path / "pre")]) == 0
    weights = torch.load(tmp_path / "pre" / "pretrained.pt", weights_only=True)
    assert main(["train", *common, "--out", str(tmp_path / "run"), "--bank", f"textures={banks['textures']}",
                 "--pretrained", str(tmp_path / "pre" / "pretrained.pt")]) == 0
    model = torch.load(tmp_path / "run" / "model.pt", weights_only=True)
    key = "encoder.stages.3.1.conv2.weight"  # ResNet18 layer4 (the last tap stage)
    torch.testing.assert_close(model[key], weights[key])
    assert set(pd.read_csv(tmp_path / "run" / "train_log.csv")["phase"]) == {2}, "no GPT-Net re-run"
