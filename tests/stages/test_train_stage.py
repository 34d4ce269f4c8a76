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
    run = ["train", "--index", str(index_csv), "--method", sources_key, "--seed", "0", "--no-progress"]
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
