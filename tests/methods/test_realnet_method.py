"""RealNet adapter: registration and paper defaults, fit/predict, AFS artifact, weights, resume."""

import json

import pytest
import torch
from method_helpers import Images

from synthad.config import build
from synthad.errors import ConfigError
from synthad.methods import FitContext, get_method
from synthad.methods.realnet import Config, RealNet
from synthad.methods.realnet.method import afs_json_path, score_pool_size

# Layers 1-2 only keep the tests fast (layer3 carries most of WRN50's FLOPs); one test uses all four.
TINY = dict(image_size=32, backbone_weights="random", layers=[1, 2], feature_dims=[8, 8], head_channels=8,
            head_widths=[8, 4, 4, 4], batch_size=2, epochs=2, afs_batches=2, afs_batch_size=2)


ALL_LAYERS = dict(layers=[1, 2, 3, 4], feature_dims=[8, 8, 8, 8], calibrate_backbone=True)


def _fit(banks, tmp_path=None, rows=None, **overrides):
    method = RealNet(Config(**(TINY | overrides)))
    ctx = FitContext(seed=0, banks={k: banks[k] for k in ("sdas", "textures")}, progress=False,
                     checkpoint_path=tmp_path / "state.pt" if tmp_path else None,
                     log=(rows.append if rows is not None else lambda r: None))
    method.fit(Images(), ctx)
    return method


def test_registered_and_paper_defaults():
    assert get_method("realnet") is RealNet
    cfg = Config()
    assert (cfg.epochs, cfg.batch_size, cfg.lr, cfg.image_size) == (1000, 16, 1e-4, 256)
    assert cfg.feature_dims == [256, 512, 512, 256] and cfg.layers == [1, 2, 3, 4]
    assert (cfg.afs_batches, cfg.afs_batch_size, cfg.selection) == (64, 16, "afs")
    assert cfg.backbone_weights == "imagenet"
    assert (cfg.rrs_mode, cfg.sdas_opacity, cfg.dtd_opacity, cfg.normal_prob) == ("max_avg", [0.5, 1.0],
                                                                                   [0.2, 1.0], 0.5)
    assert score_pool_size(cfg) == 16 and score_pool_size(Config(image_size=64)) == 4
    assert RealNet.needs_for(cfg) == {"sdas", "foreground_masks"}
    assert RealNet.needs_for(Config(anomaly_source="textures", foreground=False)) == {"textures"}


def test_config_validation():
    assert build(Config, {"feature_dims": [128, 256, 256, 128]}, "realnet").feature_dims[0] == 128
    with pytest.raises(ConfigError, match="cannot keep"):
        build(Config, {"feature_dims": [512, 512, 512, 256]}, "realnet")
    with pytest.raises(ConfigError, match="one feature_dims entry"):
        build(Config, {"layers": [1, 2, 3]}, "realnet")
    with pytest.raises(ConfigError, match="unknown key"):
        build(Config, {"top_k": 3}, "realnet")


def test_fit_predict_afs_artifact_and_weights(banks, tmp_path):
    rows = []
    method = _fit(banks, tmp_path, rows, **ALL_LAYERS)
    assert [r["epoch"] for r in rows] == [1, 2] and {"loss", "ce", "mse", "seconds"} <= set(rows[0])
    cached = json.loads(afs_json_path(tmp_path / "state.pt").read_text())
    assert cached["selection"] == "afs" and cached == method.selected_channels()
    for layer, k in zip(("layer1", "layer2", "layer3", "layer4"), ALL_LAYERS["feature_dims"], strict=True):
        assert len(set(cached[layer])) == k and cached[layer] == sorted(cached[layer])
    assert cached["layer1"] != list(range(8))  # AFS actually chose (the init is the first k)
    pred = method.predict(torch.rand(3, 3, 40, 56))
    assert pred.scores.shape == (3,) and pred.maps.shape == (3, 40, 56)
    assert pred.maps.min() >= 0 and pred.maps.max() <= 1

    state = method.state_dict()
    assert "extractor.stem.0.weight" not in state  # the frozen backbone's parameters are not saved,
    assert "extractor.stem.1.running_mean" in state  # its (calibrated) BatchNorm statistics are
    torch.save(state, tmp_path / "model.pt")
    other = RealNet(Config(**(TINY | ALL_LAYERS)))
    other.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True))
    assert other.selected_channels() == cached
    images = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(other.predict(images).maps, method.predict(images).maps)
    with pytest.raises(RuntimeError, match="do not match"):
        RealNet(Config(**(TINY | {"layers": [1, 2, 3, 4], "feature_dims": [8, 8, 8, 4]}))
                ).load_state_dict(state)


class _Stop(Exception):
    pass


def _stop_at_epoch_2(row):
    if row["epoch"] == 2:
        raise _Stop  # before epoch 2's checkpoint: the state on disk is epoch 1's


def test_resume_equals_uninterrupted(banks, tmp_path):
    images = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    straight = _fit(banks, tmp_path / "a").predict(images).scores
    method = RealNet(Config(**TINY))
    ctx = FitContext(seed=0, banks={"sdas": banks["sdas"]}, progress=False, checkpoint_path=tmp_path / "b.pt",
                     log=_stop_at_epoch_2)
    with pytest.raises(_Stop):
        method.fit(Images(), ctx)
    rows = []
    ctx.log = rows.append
    method.fit(Images(), ctx)  # continues from epoch 1, AFS not redone
    assert [r["epoch"] for r in rows] == [2]
    torch.testing.assert_close(method.predict(images).scores, straight)


@pytest.mark.parametrize("overrides", [
    {"selection": "rdr", "rrs_mode": "max"}, {"selection": "rlpr", "rrs_mode": "none"},
    {"anomaly_source": "textures", "layers": [2], "feature_dims": [8], "rrs_mode": "avg"},
])
def test_ablation_options_train(banks, overrides):
    method = _fit(banks, epochs=1, **overrides)
    pred = method.predict(torch.rand(2, 3, 32, 32))
    assert torch.isfinite(pred.scores).all() and pred.maps.shape == (2, 32, 32)
