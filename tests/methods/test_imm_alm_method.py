"""IMM + ALM adapter: paper defaults, needs, losses (Eqs. 3-5), the centre, fit/predict, warp-back, resume."""

import math

import pytest
import torch
from method_helpers import Images

from synthad.config import build
from synthad.errors import ConfigError
from synthad.methods import FitContext, get_method
from synthad.methods.imm_alm import Config, ImmAlm
from synthad.methods.imm_alm.geometry import affine_matrix, invert, warp
from synthad.methods.imm_alm.loss import cosine_distance, mapping_loss
from synthad.methods.imm_alm.method import template_index
from synthad.methods.imm_alm.model import MIXED_CHANNELS, ChannelReduction, ImageMatcher
from synthad.nn.backbones import imagenet_normalize

TINY = dict(image_size=32, backbone_weights="random", imm_epochs=2, imm_batch_size=2, imm_widths=[4, 4],
            imm_hidden=8, alm_epochs=2, batch_size=2, feature_dim=8, mapping_widths=[8])


def _fit(banks, tmp_path=None, rows=None, **overrides):
    method = ImmAlm(Config(**(TINY | overrides)))
    ctx = FitContext(seed=0, banks={"natural": banks["natural"]}, progress=False,
                     checkpoint_path=tmp_path / "state.pt" if tmp_path else None,
                     log=(rows.append if rows is not None else lambda r: None))
    method.fit(Images(), ctx)
    return method


def test_registered_and_paper_defaults():
    assert get_method("imm_alm") is ImmAlm
    cfg = Config()
    assert (cfg.imm_epochs, cfg.imm_lr, cfg.imm_batch_size) == (500, 2e-4, 32)
    assert (cfg.alm_epochs, cfg.lr, cfg.batch_size, cfg.margin) == (300, 1e-3, 32, 0.1)
    assert not cfg.balanced_loss  # Eq. 5 averages over all cells
    assert (cfg.imm, cfg.dgm, cfg.center, cfg.augment) == (True, True, "feature_map", False)
    assert cfg.backbone_weights == "imagenet"
    assert ImmAlm.needs_for(cfg) == {"foreground_masks", "natural"}
    assert ImmAlm.needs_for(Config(dgm=False)) == {"foreground_masks"}


def test_config_validation():
    assert build(Config, {"center": "vector"}, "imm_alm").center == "vector"
    with pytest.raises(ConfigError, match="feature_stride"):
        build(Config, {"image_size": 36, "feature_stride": 8}, "imm_alm")
    with pytest.raises(ConfigError, match="margin"):
        build(Config, {"margin": 0.0}, "imm_alm")
    with pytest.raises(ConfigError, match="unknown key"):
        build(Config, {"delta": 0.1}, "imm_alm")


def test_margin_loss_zero_when_defects_far_and_normals_on_center():
    center = torch.randn(4, 3, 3)
    features = center[None].repeat(2, 1, 1, 1)
    defect = torch.zeros(2, 3, 3)
    defect[0, 1, 1] = defect[1, 0, 2] = 1
    # Defective cells at the opposite direction: 0.5 * dist = 1 >= delta.
    features[0, :, 1, 1] = -center[:, 1, 1]
    features[1, :, 0, 2] = -center[:, 0, 2]
    assert mapping_loss(features, center, defect, margin=0.1)[0].item() == pytest.approx(0, abs=1e-6)
    # A defective cell left on its centre costs delta; a normal one moved away costs 0.5 * dist.
    loss, _ = mapping_loss(center[None].repeat(2, 1, 1, 1), center, defect, margin=0.1)
    assert loss.item() == pytest.approx(2 * 0.1 / (2 * 9), rel=1e-5)
    moved = center[None].clone()
    moved[0, :, 2, 2] = -center[:, 2, 2]
    assert mapping_loss(moved, center)[0].item() == pytest.approx(0.5 * 2 / 9, rel=1e-5)  # Eq. 3
    # Balanced: each term is a mean over its own cells, so two defective cells on the centre cost delta.
    balanced, _ = mapping_loss(center[None].repeat(2, 1, 1, 1), center, defect, margin=0.1, balanced=True)
    assert balanced.item() == pytest.approx(0.1, rel=1e-5)


def test_cosine_distance_is_eq4_and_vector_center_broadcasts():
    a, c = torch.randn(2, 5, 3, 4), torch.randn(5, 1, 1)
    manual = 1 - (a * c[None]).sum(1) / (a.norm(dim=1) * c.norm())
    torch.testing.assert_close(cosine_distance(a, c), manual, atol=1e-5, rtol=0)


def test_channel_reductions():
    x = torch.randn(2, MIXED_CHANNELS, 3, 3)
    mean = ChannelReduction(4, "group_mean")(x)
    torch.testing.assert_close(mean[:, 0], x[:, :112].mean(1), atol=1e-5, rtol=0)
    proj = ChannelReduction(16, "projection")
    torch.testing.assert_close(proj(x), ChannelReduction(16, "projection")(x))  # fixed by the seed


def test_imm_normalises_the_template_with_its_batch_and_a_pair_does_not_depend_on_the_batch():
    torch.manual_seed(0)
    matcher = ImageMatcher([4, 4], 8)
    torch.nn.init.normal_(matcher.regress[-1].weight)  # not the identity start: outputs must differ
    template, images = torch.rand(3, 32, 32), torch.rand(5, 3, 32, 32)
    # Training mode: the template is normalised with the batch statistics, exactly like an identical
    # image of that batch, and not by its own single-image statistics.
    matcher.train()
    f_o, f_t = matcher.features(torch.cat([template[None], images]), template)
    torch.testing.assert_close(f_t[0], f_o[0])
    assert (f_t - matcher.extract(template[None])).abs().max() > 1e-2
    # Evaluation mode (running statistics): a pair's output is the same alone and within any batch.
    matcher.eval()
    alone = matcher.params(images[2:3], template)
    torch.testing.assert_close(matcher.params(images, template)[2:3], alone)
    torch.testing.assert_close(matcher.params(images.flip(0), template)[2:3], alone)
    assert alone.abs().max() > 1e-3


@pytest.mark.parametrize("center", ["feature_map", "vector"])
def test_center_is_mean_of_training_features(banks, center):
    method = _fit(banks, imm=False, center=center, alm_epochs=1)
    model = method.model
    pixels = (Images().x * 255).round() / 255  # the training pool is 8-bit
    with torch.no_grad():
        reduced = model.reduce(model.features(pixels))
    expected = reduced.mean(0) if center == "feature_map" else reduced.mean(dim=(0, 2, 3))[:, None, None]
    torch.testing.assert_close(model.center, expected, atol=1e-5, rtol=1e-4)
    assert model.center.shape == ((8, 8, 8) if center == "feature_map" else (8, 1, 1))


def test_fit_logs_both_phases_and_sets_template(banks):
    rows = []
    method = _fit(banks, rows=rows)
    assert [r["epoch"] for r in rows] == [1, 2, 3, 4] and [r["phase"] for r in rows] == [0, 0, 1, 1]
    assert {"loss", "reg", "normal", "defect", "seconds"} <= set(rows[0])
    torch.testing.assert_close(method.model.template, Images().x[template_index(4, 0)], atol=1 / 255, rtol=0)
    pred = method.predict(torch.rand(3, 3, 40, 56))
    assert pred.scores.shape == (3,) and pred.maps.shape == (3, 40, 56)
    assert pred.maps.min() >= 0 and pred.maps.max() <= 2  # cosine distances


def test_map_is_warped_back_to_the_input_frame(banks):
    """With a known constant IMM warp, predict's map = warp-back of the aligned-frame map."""
    method = _fit(banks, alm_epochs=1)
    last = method.model.matcher.regress[-1]
    params = torch.tensor([0.2, -0.1, math.radians(20)])
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(params)
    x = torch.rand(2, 3, 32, 32)
    matrix = affine_matrix(params.expand(2, 3))
    with torch.no_grad():
        heat = cosine_distance(method.model.embed(warp(x, matrix)), method.model.center)[:, None]
        heat = torch.nn.functional.interpolate(heat, size=(32, 32), mode="bilinear", align_corners=False)
        expected = warp(heat, invert(matrix))[:, 0]
    maps = method.predict(x).maps
    torch.testing.assert_close(maps, expected, atol=1e-5, rtol=0)
    assert (maps - heat[:, 0]).abs().max() > 1e-3  # the warp-back did something


def test_weights_exclude_backbone_and_round_trip(banks):
    method = _fit(banks, dgm=False, augment=True, center="vector")
    state = method.state_dict()
    backbone = {f"features.{name}" for name, _ in method.model.features.named_parameters()}
    assert not backbone & set(state) and "features.stem.1.running_mean" in state  # BN statistics kept
    assert {"template", "center", "reduce.weight"} <= set(state)
    fresh = ImmAlm(method.config)
    fresh.load_state_dict(state)
    x = torch.rand(2, 3, 32, 32)
    torch.testing.assert_close(fresh.predict(x).maps, method.predict(x).maps)
    with pytest.raises(RuntimeError, match="do not match"):
        ImmAlm(Config(**(TINY | {"feature_dim": 4}))).load_state_dict(state)


class _Stop(Exception):
    pass


def test_calibrated_backbone_normalises_the_aligned_training_features(banks):
    method = _fit(banks, imm=False, calibrate_backbone=True, alm_epochs=1)
    features = method.model.features
    pixels = (Images().x * 255).round() / 255  # the training pool is 8-bit
    with torch.no_grad():
        pre = features.stem[0](imagenet_normalize(pixels))  # conv1 output: what bn1 normalises
    torch.testing.assert_close(features.stem[1].running_mean, pre.mean(dim=(0, 2, 3)), rtol=1e-4, atol=1e-5)
    assert not features.training and not any(p.requires_grad for p in features.parameters())
    assert not torch.equal(features.stem[1].running_mean, _fit(banks, imm=False, alm_epochs=1)
                           .model.features.stem[1].running_mean)


@pytest.mark.parametrize(("stop_at", "calibrate"), [(2, False), (3, False), (4, False), (4, True)])
def test_resume_matches_an_uninterrupted_run(banks, tmp_path, stop_at, calibrate):
    """Interrupt in the IMM phase, at the phase change or inside the ALM phase, then resume."""
    x = torch.rand(2, 3, 32, 32)
    cfg = Config(**(TINY | {"calibrate_backbone": calibrate}))
    full = _fit(banks, calibrate_backbone=calibrate).predict(x)

    def stop(row):
        if row["epoch"] == stop_at:  # raised before epoch stop_at is saved: the state holds stop_at - 1
            raise _Stop

    ctx = FitContext(seed=0, banks={"natural": banks["natural"]}, progress=False,
                     checkpoint_path=tmp_path / "state.pt", log=stop)
    with pytest.raises(_Stop):
        ImmAlm(cfg).fit(Images(), ctx)
    rows = []
    resumed = ImmAlm(cfg)
    resumed.fit(Images(), FitContext(seed=0, banks={"natural": banks["natural"]}, progress=False,
                                     checkpoint_path=tmp_path / "state.pt", log=rows.append))
    assert [r["epoch"] for r in rows] == [1, 2, 3, 4]  # epochs before stop_at replayed from the checkpoint
    torch.testing.assert_close(resumed.predict(x).maps, full.maps)
    torch.testing.assert_close(resumed.predict(x).scores, full.scores)
