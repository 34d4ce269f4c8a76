"""DMP: copied extractor, re-parameterised U-Net, Eq. 6/9 loss, Eq. 10 score, sources, config, resume."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from method_helpers import Images
from torch import nn

from synthad.config import build
from synthad.errors import ConfigError
from synthad.methods import FitContext, get_method
from synthad.methods.dmp import Config, Dmp
from synthad.methods.dmp.loss import DmpLoss
from synthad.methods.dmp.model import DefectPredictionNetwork, RepLKEncoder
from synthad.methods.draem.model import DiscriminativeSubNetwork
from synthad.nn import SSIMLoss, focal_loss
from synthad.nn.large_kernel import ReparamLargeKernelConv
from synthad.synthesis import DraemSynthesizer, TrainingPool

TINY = dict(image_size=32, rec_base_width=4, batch_size=2, epochs=2, lk_channels=[4, 8, 8, 8],
            lk_layers=[1, 1, 1, 1], lk_kernels=[7, 5, 5, 3], small_kernel=3, disc_base_width=4)


class Sources(FitContext):
    """A fit context whose other categories are an in-memory pool."""

    def __init__(self, others, **kwargs):
        super().__init__(progress=False, **kwargs)
        self.others = others

    def source_pool(self, size, limit=None):
        """The in-memory pool, whatever the size."""
        return self.others


def _batch(seed=0, n=2, size=32):
    g = torch.Generator().manual_seed(seed)
    normal = torch.rand(n, 3, size, size, generator=g)
    mask = (torch.rand(n, 1, size, size, generator=g) > 0.8).float()
    return normal, normal * (1 - mask) + torch.rand(n, 3, size, size, generator=g) * mask, mask


def _randomise_bn(module):
    g = torch.Generator().manual_seed(3)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(0.3 * torch.randn(m.num_features, generator=g))
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)


def test_registered_with_paper_defaults_and_needs():
    cfg = Config()
    assert get_method("dmp") is Dmp
    assert (cfg.epochs, cfg.lr, cfg.lr_gamma, cfg.milestone_epochs()) == (700, 1e-4, 0.1, [400, 600])
    assert (cfg.lambda1, cfg.lambda2, cfg.lambda3, cfg.beta_max) == (1.0, 0.8, 0.2, 0.8)
    assert cfg.lk_kernels == [31, 29, 27, 13] and cfg.lk_channels[0] == 128
    assert Dmp.needs_for(cfg) == {"foreground_masks", "dataset_images"}
    assert Dmp.needs_for(Config(anomaly_source="textures")) == {"foreground_masks", "textures"}
    assert Dmp.needs_for(Config(anomaly_source="draem")) == {"textures"}


def test_milestones_keep_the_paper_fractions():
    assert Config(epochs=70).milestone_epochs() == [40, 60]
    assert Config(epochs=35).milestone_epochs() == [20, 30]


@pytest.mark.parametrize("bad", [{"image_size": 48}, {"lk_kernels": [31, 29, 27]},
                                 {"lk_kernels": [31, 28, 27, 13]}, {"small_kernel": 4}, {"beta_max": 1.5},
                                 {"anomaly_source": "natural"}, {"lr_milestones_of": 0}])
def test_config_validation(bad):
    with pytest.raises(ConfigError):
        build(Config, bad, "method_params.dmp")


def test_encoder_layout_matches_the_paper_at_256():
    enc = RepLKEncoder(6, [128, 16, 16, 16], [1, 1, 1, 1], [31, 29, 27, 13], 5).eval()
    with torch.no_grad():
        feats = enc(torch.rand(1, 6, 256, 256))
    # After the four stem layers: 128 channels at 64x64; then one feature map per stage.
    assert [tuple(f.shape[1:]) for f in feats] == [(128, 128, 128), (128, 64, 64), (16, 32, 32), (16, 16, 16),
                                                   (16, 8, 8)]
    kernels = [m.kernel_size for m in enc.modules() if isinstance(m, ReparamLargeKernelConv)]
    assert kernels == [31, 29, 27, 13]


def test_merged_defect_network_equals_unmerged():
    torch.manual_seed(0)
    net = DefectPredictionNetwork([4, 8, 8, 8], [1, 1, 1, 1], [7, 5, 5, 3], 3).eval()
    _randomise_bn(net)
    x = torch.rand(2, 6, 32, 32)
    with torch.no_grad():
        before = net(x)
        net.merge()
        after = net(x)
    assert all(m.small is None for m in net.modules() if isinstance(m, ReparamLargeKernelConv))
    torch.testing.assert_close(after, before, atol=1e-5, rtol=1e-4)


def test_predict_uses_the_merged_copy_and_matches_the_trained_model():
    method = Dmp(Config(**TINY))
    _randomise_bn(method.model)
    images = torch.rand(3, 3, 32, 32)
    with torch.no_grad():
        _, logits = method.model.eval()(images)
    maps = method.predict(images).maps
    torch.testing.assert_close(maps, torch.softmax(logits, 1)[:, 1], atol=1e-5, rtol=1e-4)
    merged = [m for m in method.inference_model().modules() if isinstance(m, ReparamLargeKernelConv)]
    assert merged and all(m.merged is not None for m in merged)
    assert all(m.small is not None for m in method.model.modules() if isinstance(m, ReparamLargeKernelConv))


def test_extractor_is_a_gradient_free_copy_of_the_encoder():
    method = Dmp(Config(**TINY))
    model = method.model.train()
    model.extractor.freeze()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for seed in range(2):
        normal, augmented, mask = _batch(seed)
        loss, terms = method.training_loss(normal, augmented, mask, DmpLoss())
        encoder = model.reconstruction.encoder.state_dict()
        for key, value in model.extractor.state_dict().items():
            torch.testing.assert_close(value, encoder[key], rtol=0, atol=0)  # copied this very step
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        assert all(p.grad is None for p in model.extractor.parameters())
        assert all(p.grad is not None for p in model.reconstruction.encoder.parameters())
        assert terms["deep"] > 0
        optimizer.step()
    # The encoder moved with the step; the extractor follows only at the next copy.
    first = model.reconstruction.encoder.blocks[0][0].weight
    assert not torch.equal(model.extractor.blocks[0][0].weight, first)


def test_deep_feature_loss_reaches_the_autoencoder_through_the_reconstruction():
    method = Dmp(Config(**TINY))
    method.model.extractor.freeze()
    normal, augmented, mask = _batch()
    only_deep = DmpLoss(lambda1=0.0, lambda2=0.0, lambda3=1.0)
    loss, _ = method.training_loss(normal, augmented, mask, only_deep)
    decoder = method.model.reconstruction.decoder
    focal_grad = torch.autograd.grad(only_deep.focal(torch.softmax(method.model(augmented)[1], 1), mask),
                                     decoder.out.weight)[0]
    total_grad = torch.autograd.grad(loss, decoder.out.weight)[0]
    assert not torch.allclose(total_grad, focal_grad)  # L_deep adds a gradient of its own to the decoder


def test_gradient_update_ablation_trains_the_extractor():
    method = Dmp(Config(**(TINY | {"copy_params": False})))
    normal, augmented, mask = _batch()
    loss, _ = method.training_loss(normal, augmented, mask, DmpLoss())
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in method.model.extractor.parameters())


def test_loss_is_eq_6_plus_focal():
    g = torch.Generator().manual_seed(1)
    rec, target = torch.rand(2, 3, 16, 16, generator=g), torch.rand(2, 3, 16, 16, generator=g)
    logits = torch.randn(2, 2, 16, 16, generator=g)
    mask = (torch.rand(2, 1, 16, 16, generator=g) > 0.7).float()
    z, z_hat = torch.randn(2, 8, 2, 2, generator=g), torch.randn(2, 8, 2, 2, generator=g)
    total, terms = DmpLoss()(rec, target, logits, mask, z, z_hat)
    vision = SSIMLoss()(rec, target) + F.mse_loss(rec, target)
    expected = 0.8 * vision + 0.2 * (z - z_hat).abs().mean() + focal_loss(torch.softmax(logits, 1), mask)
    torch.testing.assert_close(total, expected)
    assert terms["rec"] == pytest.approx(float(0.8 * vision + 0.2 * (z - z_hat).abs().mean()), rel=1e-5)
    without, parts = DmpLoss()(rec, target, logits, mask)
    assert parts["deep"] == 0 and float(without) < float(total)


def test_image_score_is_the_max_of_the_mean_filtered_map():
    method = Dmp(Config(**TINY))  # 32 px: 21 * 32 / 256 -> a 3x3 mean filter

    class Hot(nn.Module):
        def forward(self, x):
            logits = torch.zeros(len(x), 2, 32, 32)
            logits[:, 1, 10, 10] = 50.0  # one certain defect pixel, p = 0.5 elsewhere
            return x, logits

    method._inference = Hot()
    pred = method.predict(torch.rand(2, 3, 32, 32))
    torch.testing.assert_close(pred.scores, torch.full((2,), (1.0 + 8 * 0.5) / 9))
    assert pred.maps.amax() == pytest.approx(1.0)


def test_ablation_switches_change_the_networks():
    no_lk = Dmp(Config(**(TINY | {"large_kernel": False})))
    assert isinstance(no_lk.model.defect, DiscriminativeSubNetwork)
    assert Dmp(Config(**(TINY | {"deep_features": False}))).model.extractor is None


def test_sources_are_every_category_of_the_data_set():
    others = TrainingPool(np.full((3, 32, 32, 3), 7, np.uint8))
    method = Dmp(Config(**TINY))
    pool = TrainingPool(np.zeros((4, 32, 32, 3), np.uint8))
    synth = method._synthesizer(pool, Sources(others))
    assert len(synth.source_pool) == 7 and synth.texture_source is None
    np.testing.assert_array_equal(synth.source_pool.images[4:], others.images)
    alone = method._synthesizer(pool, Sources(None))
    assert alone.source_pool is pool  # one-category data set: this category's images


def test_textures_ablation_reads_the_textures_bank(banks):
    method = Dmp(Config(**(TINY | {"anomaly_source": "textures"})))
    pool = TrainingPool(np.zeros((2, 32, 32, 3), np.uint8))
    synth = method._synthesizer(pool, FitContext(banks={"textures": banks["textures"]}, progress=False))
    assert synth.source_pool is None and synth.texture_source is not None
    method.fit(Images(), FitContext(banks={"textures": banks["textures"]}, progress=False))


def test_draem_source_is_draems_own_synthesis_anywhere_in_the_image(banks):
    """Table 4's "DTD" rows: DRAEM's synthesizer at DRAEM's values, not Eq. 2, no foregrounds."""
    cfg = Config(**(TINY | {"anomaly_source": "draem"}))
    assert Dmp.needs_for(cfg) == {"textures"}
    pool = TrainingPool(np.full((2, 32, 32, 3), 128, np.uint8), np.zeros((2, 32, 32), np.uint8))
    ctx = FitContext(banks={"textures": banks["textures"]}, progress=False)
    synth = Dmp(cfg)._synthesizer(pool, ctx)
    draem = DraemSynthesizer(ctx.bank("textures", 32))  # DRAEM's defaults
    ours, theirs = np.random.default_rng(1), np.random.default_rng(1)
    samples = [(synth(pool, 0, ours), draem(pool, 0, theirs)) for _ in range(12)]
    for a, b in samples:
        np.testing.assert_array_equal(a.image, b.image)
        np.testing.assert_array_equal(a.mask, b.mask)
    assert any(a.mask.any() for a, _ in samples)  # an empty foreground does not stop DRAEM's masks
    Dmp(cfg).fit(Images(), ctx)


def test_resume_matches_uninterrupted_run(tmp_path):
    torch.set_num_threads(1)  # bit-exact comparison needs a fixed reduction order
    cfg = Config(**(TINY | {"epochs": 3}))
    full = Dmp(cfg)
    full.fit(Images(), FitContext(seed=5, progress=False))

    class Stop(Exception):
        pass

    def stop_at_two(row):
        if row["epoch"] == 2:
            raise Stop

    ctx = FitContext(seed=5, progress=False, checkpoint_path=tmp_path / "state.pt", log=stop_at_two)
    with pytest.raises(Stop):
        Dmp(cfg).fit(Images(), ctx)
    rows, resumed = [], Dmp(cfg)
    ctx.log = rows.append
    resumed.fit(Images(), ctx)
    assert [r["epoch"] for r in rows] == [2, 3]
    for key, value in full.state_dict().items():
        torch.testing.assert_close(resumed.state_dict()[key], value, rtol=0, atol=0)
