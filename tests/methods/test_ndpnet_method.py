"""NDP-Net adapter: paper defaults, reference choice, the two phases, ablations, resume, contract basics."""

import copy

import numpy as np
import pytest
import torch
from method_helpers import Images

from synthad.config import build
from synthad.errors import ConfigError, DataError
from synthad.methods import FitContext, get_method
from synthad.methods.ndpnet import Config, NdpNet
from synthad.methods.ndpnet.method import build_model, choose_reference
from synthad.methods.ndpnet.msdsm import pixel_gap_map, smooth, ssim_anomaly_map
from synthad.nn import init_weights
from synthad.nn.backbones import BackboneWeightsMissing

TINY = dict(image_size=32, base_width=4, ffm_channels=4, dsm_width=4, batch_size=2, phase1_epochs=1,
            phase2_epochs=1, perceptual_weights="none")


@pytest.fixture(scope="module")
def natural(banks):
    return {"natural": banks["natural"]}


def _fit(natural, tmp_path=None, seed=0, rows=None, **overrides):
    method = NdpNet(Config(**(TINY | overrides)))
    ctx = FitContext(seed=seed, banks=natural, progress=False,
                     checkpoint_path=tmp_path / "state.pt" if tmp_path else None,
                     log=(rows.append if rows is not None else lambda r: None))
    method.fit(Images(), ctx)
    return method


def test_registered_and_paper_defaults():
    assert get_method("ndpnet") is NdpNet and NdpNet.needs == frozenset({"natural"})
    cfg = Config()
    assert (cfg.phase1_epochs, cfg.phase2_epochs, cfg.lr, cfg.weight_decay) == (400, 200, 1e-4, 1e-5)
    assert cfg.image_size == 256
    assert (cfg.w_rec, cfg.w_per, cfg.w_def_per, cfg.w_fea_rep, cfg.w_seg) == (100, 1, 1, 1, 1)
    assert (cfg.patch_sizes, cfg.ffm_channels, cfg.ffm_kernel, cfg.msdsm_weights, cfg.filter_size) == (
        [2, 4], 64, 5, [0.2, 0.2, 0.6], 5)
    assert cfg.perceptual_weights == "imagenet" and cfg.segmentation == "msdsm" and cfg.use_rbam


def test_config_validation():
    assert build(Config, {"lr": "1e-3", "segmentation": "ssim"}, "ndpnet").segmentation == "ssim"
    with pytest.raises(ConfigError, match="multiple of 16"):
        build(Config, {"image_size": 40}, "ndpnet")
    with pytest.raises(ConfigError, match="unknown key"):
        build(Config, {"epochs": 1}, "ndpnet")
    with pytest.raises(ConfigError):
        build(Config, {"segmentation": "msfr"}, "ndpnet")
    with pytest.raises(ConfigError, match="phase2_anomaly_prob"):
        build(Config, {"phase2_anomaly_prob": 0.0}, "ndpnet")


def test_reference_is_the_image_closest_to_the_median_ties_to_lowest_index():
    images = np.stack([np.full((4, 4, 3), v, np.uint8) for v in (0, 40, 50, 50, 200)])
    assert choose_reference(images) == 2  # median 50: images 2 and 3 tie, the lower index wins
    images[2, 0, 0, 0] = 51
    assert choose_reference(images) == 3


def test_fit_stores_the_reference_and_logs_both_phases(natural):
    rows = []
    method = _fit(natural, rows=rows, phase1_epochs=2)
    assert [(r["epoch"], r["phase"]) for r in rows] == [(1, 1), (2, 1), (3, 2)]
    assert {"rec", "per", "def_per", "loss"} <= set(rows[0]) and {"fea_rep", "seg"} <= set(rows[2])
    assert rows[0]["def_per"] > 0 and rows[2]["fea_rep"] > 0 and rows[2]["seg"] > 0
    ref = Images()[choose_reference((Images().x.permute(0, 2, 3, 1) * 255).round().numpy())]["image"]
    torch.testing.assert_close(method.model.reference[0], ref, atol=1 / 255, rtol=0)


def test_phase2_leaves_the_frozen_encoder_untouched(natural):
    snapshots = {}
    method = NdpNet(Config(**(TINY | {"phase1_epochs": 1, "phase2_epochs": 2})))

    def snapshot(row):
        snapshots[row["epoch"]] = copy.deepcopy(method.model.state_dict())
    method.fit(Images(), FitContext(seed=0, banks=natural, progress=False, log=snapshot))
    init = NdpNet(Config(**TINY)).model.state_dict()
    after1, after2 = snapshots[1], snapshots[3]
    enc = [k for k in after1 if k.startswith("encoder.")]
    assert any("running_mean" in k for k in enc)  # BatchNorm statistics are checked too
    assert all(after1[k].equal(after2[k]) for k in enc)  # phase 2: no update at all
    assert not all(after1[k].equal(init[k]) for k in enc if init[k].is_floating_point())  # phase 1 trains it
    for part in ("decoder.", "rbam.", "msdsm."):
        assert any(not after1[k].equal(after2[k]) for k in after1 if k.startswith(part)), part
    assert not any(p.requires_grad for p in method.model.encoder.parameters())


def test_phase1_does_not_train_rbam_or_msdsm(natural):
    snapshots = {}
    method = NdpNet(Config(**TINY))
    ctx = FitContext(seed=0, banks=natural, progress=False,
                     log=lambda r: snapshots.setdefault(r["epoch"], copy.deepcopy(method.model.state_dict())))
    torch.manual_seed(0)
    method.fit(Images(), ctx)
    torch.manual_seed(0)  # the initial weights, drawn exactly as fit draws them
    fresh = build_model(Config(**TINY))
    fresh.apply(init_weights)
    keys = [k for k in snapshots[1] if k.startswith(("rbam.", "msdsm.")) and "num_batches" not in k]
    changed = [k for k in keys if "running" not in k and not snapshots[1][k].equal(fresh.state_dict()[k])]
    assert keys and not changed


def test_phase2_anomaly_prob_mixes_defect_free_samples_into_phase2_only(natural, monkeypatch):
    empty = {1: [], 2: []}

    def recorder(phase, original):
        def loss(normal, augmented, mask, perceptual):
            empty[phase] += (mask.flatten(1).sum(1) == 0).tolist()
            return original(normal, augmented, mask, perceptual)
        return loss

    method = NdpNet(Config(**(TINY | {"phase1_epochs": 3, "phase2_epochs": 3, "phase2_anomaly_prob": 0.5})))
    monkeypatch.setattr(method, "phase1_loss", recorder(1, method.phase1_loss))
    monkeypatch.setattr(method, "phase2_loss", recorder(2, method.phase2_loss))
    method.fit(Images(), FitContext(seed=0, banks=natural, progress=False))
    assert not any(empty[1])  # L_def_per needs a defect in every phase-1 pair
    assert 0 < sum(empty[2]) < len(empty[2])


def test_predict_contract_and_image_score_is_the_map_max(natural, tmp_path):
    method = _fit(natural)
    images = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    pred = method.predict(images)
    assert pred.scores.shape == (3,) and pred.maps.shape == (3, 32, 32)
    torch.testing.assert_close(pred.scores, pred.maps.amax(dim=(1, 2)))
    assert pred.maps.min() >= 0 and pred.maps.max() <= 1
    assert method.predict(torch.rand(2, 3, 40, 56)).maps.shape == (2, 40, 56)
    torch.save(method.state_dict(), tmp_path / "model.pt")
    other = NdpNet(Config(**TINY))
    other.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True))
    torch.testing.assert_close(other.predict(images).maps, pred.maps)
    assert other.model.reference.equal(method.model.reference)


@pytest.mark.parametrize(("segmentation", "map_fn", "scale", "side"),
                         [("pixel_gap", pixel_gap_map, False, 5), ("ssim", ssim_anomaly_map, False, 5),
                          ("pixel_gap", pixel_gap_map, True, 1)])  # 5 px at 256 -> 1 px at 32
def test_ablations_replace_msdsm_by_reconstruction_maps(natural, segmentation, map_fn, scale, side):
    rows = []
    method = _fit(natural, rows=rows, segmentation=segmentation, scale_filter_size=scale)
    assert method.model.msdsm is None and rows[-1]["seg"] == 0
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = smooth(map_fn(x, method.model(x).rec), side)[:, 0]
    torch.testing.assert_close(method.predict(x).maps, expected)


def test_ablations_without_rbam_and_without_def_per(natural):
    rows = []
    method = _fit(natural, rows=rows, use_rbam=False, use_def_per=False)
    assert method.model.rbam is None
    assert rows[0]["def_per"] == 0 and rows[1]["fea_rep"] == 0 and rows[1]["seg"] > 0
    assert not any(k.startswith("rbam.") for k in method.state_dict())


def test_perceptual_random_and_missing_imagenet_weights(natural, tmp_path, monkeypatch):
    rows = []
    _fit(natural, rows=rows, perceptual_weights="random")
    assert rows[0]["per"] > 0
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "empty_hub"))
    with pytest.raises(BackboneWeightsMissing, match="vgg16"):
        _fit(natural, perceptual_weights="imagenet")


def test_missing_natural_bank_is_an_error():
    with pytest.raises(DataError, match="no 'natural' anomaly bank"):
        NdpNet(Config(**TINY)).fit(Images(), FitContext(progress=False))


@pytest.mark.parametrize("crash_epoch", [1, 3])  # inside phase 1, inside phase 2
def test_resume_matches_uninterrupted_run(natural, tmp_path, crash_epoch):
    torch.set_num_threads(1)  # bit-exact comparison needs a fixed reduction order
    cfg = TINY | {"phase1_epochs": 2, "phase2_epochs": 2}
    full = _fit(natural, seed=5, **cfg).state_dict()

    class Stop(Exception):
        pass

    def stop(row):
        if row["epoch"] == crash_epoch + 1:
            raise Stop
    ctx = FitContext(seed=5, banks=natural, progress=False, checkpoint_path=tmp_path / "state.pt", log=stop)
    with pytest.raises(Stop):
        NdpNet(Config(**cfg)).fit(Images(), ctx)
    rows = []
    ctx.log = rows.append
    resumed = NdpNet(Config(**cfg))
    resumed.fit(Images(), ctx)
    assert [r["epoch"] for r in rows] == list(range(crash_epoch + 1, 5))
    for key, value in full.items():
        torch.testing.assert_close(resumed.state_dict()[key], value, rtol=0, atol=0)
