"""The contract test every registered method must pass (DESIGN.md, "The method contract").

Parametrised over the registry, so a new method is covered as soon as it is registered. Each
method trains for a moment on tiny real photographs (32x32), then must return scores ``(B,)`` and
maps ``(B, H, W)`` at the input size, be deterministic for a seed, and survive a
``state_dict`` round trip through ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

from synthad.config import method_config
from synthad.data.loader import ImageDataset
from synthad.methods import FitContext, get_method, list_methods

SIZE = 32
# Other tests register throw-away fakes under "_test_*" keys; the contract covers real methods.
METHODS = [key for key in list_methods() if not key.startswith("_")]

# Smallest settings per method so the contract runs in seconds; keys must exist in each Config.
TINY = {
    "draem": {"epochs": 1, "batch_size": 2, "image_size": SIZE, "rec_base_width": 4, "disc_base_width": 4},
    "dmp": {"epochs": 1, "batch_size": 2, "image_size": SIZE, "rec_base_width": 4, "disc_base_width": 4,
            "lk_channels": [4, 8, 8, 8], "lk_layers": [1, 1, 1, 1], "lk_kernels": [7, 5, 5, 3],
            "small_kernel": 3},
    "imm_alm": {"image_size": SIZE, "backbone_weights": "random", "imm_epochs": 1, "imm_batch_size": 2,
                "imm_widths": [4, 4], "imm_hidden": 8, "alm_epochs": 1, "batch_size": 2, "feature_dim": 8,
                "mapping_widths": [8]},
    "mean_image": {"image_size": SIZE},
    "ndpnet": {"image_size": SIZE, "base_width": 4, "ffm_channels": 4, "dsm_width": 4, "batch_size": 2,
               "phase1_epochs": 1, "phase2_epochs": 1, "perceptual_weights": "none"},
    "slsg": {"image_size": SIZE, "backbone_weights": "random", "decoder_widths": [8, 8, 8, 8],
             "skip_channels": 4, "disc_width": 4, "pretrain_epochs": 1, "pretrain_batch_size": 2, "steps": 2,
             "normal_per_batch": 1, "anomalous_per_batch": 1, "log_every": 1},
    "realnet": {"epochs": 1, "batch_size": 2, "image_size": SIZE, "backbone_weights": "random",
                "layers": [1, 2], "feature_dims": [8, 8], "head_channels": 8, "head_widths": [8, 4, 4, 4],
                "afs_batches": 1, "afs_batch_size": 2},
}


def _fit(key, tiny_index, banks, tmp_path, seed=0):
    config = method_config(key, TINY.get(key, {}))
    method = get_method(key)(config, "cpu")
    train = ImageDataset(tiny_index[tiny_index["split"] == "train"], SIZE)
    context = FitContext(seed=seed, checkpoint_path=tmp_path / f"state{seed}.pt", banks=banks,
                         progress=False)
    torch.manual_seed(seed)
    method.fit(train, context)
    return method


def _test_batch(tiny_index):
    test = ImageDataset(tiny_index[tiny_index["split"] == "test"], 40)
    return torch.stack([test[i]["image"] for i in range(len(test))])


def test_every_method_has_a_tiny_config():
    assert set(METHODS) <= set(TINY), "add the new method to TINY"


@pytest.mark.parametrize("key", METHODS)
def test_config_defaults_build(key):
    cls = get_method(key)
    assert dataclasses.is_dataclass(cls.Config)
    assert method_config(key, {}) == cls.Config()
    known = {"foreground_masks", "textures", "natural", "sdas", "dataset_images", "pretrained"}
    assert cls.needs_for(cls.Config()) <= known


@pytest.mark.parametrize("key", METHODS)
def test_fit_predict_contract(key, tiny_index, banks, tmp_path):
    method = _fit(key, tiny_index, banks, tmp_path)
    images = _test_batch(tiny_index)  # 40x40: not the training size, maps must follow the input
    pred = method.predict(images)
    assert pred.scores.shape == (len(images),)
    assert pred.maps.shape == (len(images), 40, 40)
    assert torch.isfinite(pred.scores).all() and torch.isfinite(pred.maps).all()


@pytest.mark.parametrize("key", METHODS)
def test_state_dict_round_trip(key, tiny_index, banks, tmp_path):
    method = _fit(key, tiny_index, banks, tmp_path)
    torch.save(method.state_dict(), tmp_path / "model.pt")
    fresh = get_method(key)(method.config, "cpu")
    fresh.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True))
    images = _test_batch(tiny_index)
    torch.testing.assert_close(fresh.predict(images).maps, method.predict(images).maps)


@pytest.mark.parametrize("key", METHODS)
def test_same_seed_same_model(key, tiny_index, banks, tmp_path):
    images = _test_batch(tiny_index)
    first = _fit(key, tiny_index, banks, tmp_path / "a").predict(images).scores
    second = _fit(key, tiny_index, banks, tmp_path / "b").predict(images).scores
    torch.testing.assert_close(first, second)
