"""RealNet's parts: AFS channel scores, channel selectors, RRS, the head and the U-Nets."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from synthad.methods.realnet import Config
from synthad.methods.realnet.afs import ChannelSelector, afs_scores, lowest
from synthad.methods.realnet.method import build_model
from synthad.methods.realnet.model import Discriminator, FeatureExtractor, ReconUNet, ResBlock
from synthad.methods.realnet.rrs import ResidualSelection, kept_per_mode, merge_residuals
from synthad.nn.backbones import calibrate_batchnorm, imagenet_normalize


def _afs_case(channels=8, informative=(5, 1, 6)):
    """Features whose residual equals the mask in ``informative`` channels (graded noise), noise elsewhere."""
    g = torch.Generator().manual_seed(0)
    mask = torch.zeros(4, 1, 16, 16)
    mask[:, :, 4:10, 6:12] = 1
    small = mask[:, :, ::2, ::2]  # the nearest down-sampling AFS applies, (4, 1, 8, 8)
    clean = torch.randn(4, channels, 8, 8, generator=g)
    diff = torch.rand(4, channels, 8, 8, generator=g)  # squared residual of noise, unrelated to the mask
    for rank, c in enumerate(informative):
        diff[:, c] = small[:, 0] + 0.1 * rank * torch.rand(4, 8, 8, generator=g)
    return clean + diff.sqrt(), clean, mask


def test_afs_keeps_exactly_the_mask_like_channels():
    anomalous, clean, mask = _afs_case()
    scores = afs_scores(anomalous, clean, mask)
    assert scores.shape == (8,)
    assert lowest(scores, 3).tolist() == [1, 5, 6]  # the informative ones, sorted by index
    assert scores.argsort()[:3].tolist() == [5, 1, 6]  # graded: less noise = lower error
    assert lowest(scores, 1).tolist() == [5]


def test_afs_constant_channel_normalises_to_zero_and_nan_gets_the_worst_score():
    anomalous, clean, mask = _afs_case()
    anomalous[:, 3] = clean[:, 3]  # zero residual everywhere: min = max, 0 / (0 + 1e-4) = 0
    anomalous[:, 7] = float("nan")  # NaN features: a NaN score, replaced by the largest finite one
    scores = afs_scores(anomalous, clean, mask)
    assert torch.isfinite(scores).all()
    torch.testing.assert_close(scores[3], mask[:, :, ::2, ::2].mean())  # mean((0 - mask)^2)
    assert scores[7] == scores[torch.arange(8) != 7].max()


def test_afs_normalisation_uses_the_official_epsilon():
    # Residuals r = [0, 1e-4, 1e-4, 0]: (r - min) / (max - min + 1e-4) = [0, 0.5, 0.5, 0], so against
    # the mask [0, 1, 1, 0] the score is mean([0, 0.25, 0.25, 0]) = 0.125 (0 without the epsilon).
    clean = torch.zeros(1, 1, 1, 4, dtype=torch.float64)
    anomalous = torch.tensor([0.0, 1e-2, 1e-2, 0.0], dtype=torch.float64).reshape(1, 1, 1, 4)
    mask = torch.tensor([0.0, 1.0, 1.0, 0.0]).reshape(1, 1, 1, 4)
    torch.testing.assert_close(afs_scores(anomalous, clean, mask).item(), 0.125, rtol=0, atol=1e-9)


def test_selectors_afs_rdr_rlpr():
    x = torch.randn(2, 6, 3, 3)
    afs = ChannelSelector(6, 2, "afs")
    afs.set_index(torch.tensor([1, 4]))
    torch.testing.assert_close(afs(x), x[:, [1, 4]])
    rdr = ChannelSelector(6, 3, "rdr")
    rdr.init_random(torch.Generator().manual_seed(0))
    assert rdr.index.unique().numel() == 3 and torch.equal(rdr(x), x[:, rdr.index])
    rlpr = ChannelSelector(6, 2, "rlpr")
    rlpr.init_random(torch.Generator().manual_seed(0))
    assert rlpr(x).shape == (2, 2, 3, 3)
    torch.testing.assert_close(rlpr(2 * x), 2 * rlpr(x))  # linear
    assert set(rlpr.state_dict()) == {"index", "projection"}
    with pytest.raises(ValueError, match="cannot keep"):
        ChannelSelector(4, 5)


def _residual():
    """(2, 6, 4, 4): channel 2 = one spike (high max, low mean); channel 4 = flat 0.5 (high mean)."""
    r = torch.full((2, 6, 4, 4), 0.1)
    r[:, 2, 1, 1] = 3.0
    r[:, 4] = 0.5
    return r


def test_rrs_max_and_avg_modes_keep_the_right_channels():
    r = _residual()
    rrs_max = ResidualSelection(6, "max", retention=1 / 6).eval()  # eval: identity BatchNorm at init
    torch.testing.assert_close(rrs_max(r), r[:, [2]])
    rrs_avg = ResidualSelection(6, "avg", retention=1 / 6).eval()
    torch.testing.assert_close(rrs_avg(r), r[:, [4]])
    both = ResidualSelection(6, "max_avg", retention=4 / 6).eval()
    out = both(r)  # top 2 by max (2, 4), then top 2 by mean (4, 2): rank order, duplicates allowed
    torch.testing.assert_close(out, r[:, [2, 4, 4, 2]])
    assert ResidualSelection(6, "none")(r) is r


def test_rrs_ranks_on_normalised_but_returns_raw_values():
    r = torch.rand(4, 3, 4, 4, generator=torch.Generator().manual_seed(0)) * 0.01
    r[:, 0] += 100.0  # large but the same in every sample: BatchNorm removes it from the ranking
    r[0, 1, 2, 2] = 1.0  # a real spike in sample 0
    rrs = ResidualSelection(3, "max", retention=1 / 3).train()
    out = rrs(r)
    assert torch.equal(out[0], r[0, [1]])  # raw values of the spiking channel, not normalised ones
    assert out[0].max() == 1.0


def test_rrs_default_split_and_merge():
    assert kept_per_mode(1536, "max_avg", 1 / 3) == [256, 256]
    assert kept_per_mode(768, "max_avg", 1 / 3) == [128, 128] and kept_per_mode(1536, "max", 1 / 3) == [512]
    merged = merge_residuals([torch.ones(1, 2, 8, 8), torch.zeros(1, 3, 4, 4)])
    assert merged.shape == (1, 5, 8, 8)


def test_rrs_upsampling_aligns_corners_as_the_official_code():
    coarse = torch.tensor([[0.0, 1.0], [2.0, 3.0]]).reshape(1, 1, 2, 2)
    merged = merge_residuals([torch.zeros(1, 1, 4, 4), coarse])
    up = merged[:, 1:]
    torch.testing.assert_close(up, F.interpolate(coarse, size=(4, 4), mode="bilinear", align_corners=True))
    torch.testing.assert_close(up[0, 0, 0], torch.tensor([0.0, 1 / 3, 2 / 3, 1.0]))  # not [0, .25, .75, 1]


def test_head_upsamples_with_aligned_corners():
    torch.manual_seed(0)
    head = Discriminator(6, (16, 8, 8, 8)).eval()
    r = torch.rand(1, 6, 5, 7, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        x = F.interpolate(head.features(r), size=(10, 14), mode="bilinear", align_corners=True)
        want = F.interpolate(head.final(x), size=(37, 45), mode="bilinear", align_corners=True)
        assert want.std() > 1e-3  # a map that varies, so the corner alignment shows
        torch.testing.assert_close(head(r, (37, 45)), want)


def test_head_outputs_a_probability_map_of_image_size():
    head = Discriminator(6, (8, 4, 4, 4)).eval()
    logits = head(torch.rand(2, 6, 8, 8), (37, 45))
    assert logits.shape == (2, 2, 37, 45)
    prob = torch.softmax(logits, 1)
    torch.testing.assert_close(prob.sum(1), torch.ones(2, 37, 45))
    assert prob.min() >= 0 and prob.max() <= 1


@pytest.mark.parametrize("side", [1, 3, 8])
def test_unet_any_size_and_starts_at_zero(side):
    unet = ReconUNet(16, head_channels=8)
    x = torch.randn(2, 16, side, side)
    y = unet(x)
    assert y.shape == x.shape
    assert torch.count_nonzero(y) == 0  # zero-initialised output conv, as ADM's
    y.sum().backward()
    assert unet.out[-1].weight.grad is not None and unet.out[-1].weight.grad.abs().sum() > 0


def test_resblock_is_one_conv_plus_skip_with_resampling_inside():
    x = torch.randn(2, 8, 5, 5, generator=torch.Generator().manual_seed(0))
    plain = ResBlock(8, 16)
    assert sum(isinstance(m, nn.Conv2d) for m in plain.modules()) == 2  # the 3x3 and the 1x1 skip
    torch.testing.assert_close(plain(x), plain.skip(x) + plain.conv(plain.act(x)))
    down = ResBlock(8, resample="down")
    pool = nn.AvgPool2d(2, ceil_mode=True)
    torch.testing.assert_close(down(x), pool(x) + down.conv(pool(down.act(x))))  # (2, 8, 3, 3)
    up = ResBlock(8, resample="up")
    assert up(x).shape == (2, 8, 10, 10)
    assert sum(isinstance(m, nn.ConvTranspose2d) for m in up.modules()) == 2  # one per path


class _NoBackbone(nn.Module):
    """Stands in for WRN50 (only its layer widths are read) so the paper's model builds on ``meta``."""

    channels = (256, 512, 1024, 2048)


# Parameters of the official structure (cnulab/RealNet: one UNetModel per block, by block width, and the
# RRS head, by the widths it gets), counted from its code at the paper's settings. At dims {256, 512,
# 512, 256} they total 524,108,822 (524.1 M), at {128, 256, 256, 128} 131,289,110; with WRN50's
# 66,834,240 (no fc) in fp32 these are the paper's model sizes (Table S4): 2.20 GiB and 0.74 GiB.
OFFICIAL_UNET = {128: 12_975_616, 256: 51_846_144, 512: 207_271_936}
OFFICIAL_HEAD = {256: 1_645_590, 512: 5_872_662}  # RRS keeps 1/3 of the block widths' sum


@pytest.mark.parametrize("dims", [[256, 512, 512, 256], [128, 256, 256, 128]])
def test_paper_dimensions_have_the_official_parameter_count(dims):
    with torch.device("meta"):  # no memory, no time: only the shapes are built
        model = build_model(Config(feature_dims=dims), extractor=_NoBackbone())
    unets = [sum(p.numel() for p in unet.parameters()) for unet in model.recons]
    head = sum(p.numel() for p in model.head.parameters())
    total, want = sum(unets) + head, sum(OFFICIAL_UNET[k] for k in dims) + OFFICIAL_HEAD[sum(dims) // 3]
    assert total == want, f"{total:,} = {total / 1e6:.1f} M; official {want:,} = {want / 1e6:.1f} M"
    assert unets == [OFFICIAL_UNET[k] for k in dims]
    assert total == {256: 524_108_822, 128: 131_289_110}[dims[0]]  # 524.1 M / 131.3 M


def test_feature_extractor_strides_frozen_and_deterministic():
    a, b = FeatureExtractor([1, 3], "random"), FeatureExtractor([1, 3], "random")
    feats = a(torch.rand(1, 3, 64, 64))
    assert [f.shape for f in feats] == [(1, 256, 16, 16), (1, 1024, 4, 4)]
    assert not any(p.requires_grad for p in a.parameters()) and len(a.stages) == 3  # layer4 not built
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    a.train()
    assert not a.training


def test_calibrating_the_extractor_keeps_it_frozen_and_fits_its_statistics():
    fx = FeatureExtractor([1], "random")
    images = torch.rand(6, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    calibrate_batchnorm(fx, [images[:3], images[3:]])
    pre = fx.stem[0](imagenet_normalize(images))  # conv1 output: what bn1 normalises
    torch.testing.assert_close(fx.stem[1].running_mean, pre.mean(dim=(0, 2, 3)), rtol=1e-4, atol=1e-5)
    assert not fx.stem[1].training and not any(p.requires_grad for p in fx.parameters())


def test_feature_extractor_maps_layers_to_the_efficientnet_taps():
    fx = FeatureExtractor([1, 2, 3], "random", backbone="efficientnet_lite0")
    feats = fx(torch.rand(1, 3, 64, 64))
    assert [f.shape for f in feats] == [(1, 24, 16, 16), (1, 40, 8, 8), (1, 112, 4, 4)]
    assert fx.channels == (24, 40, 112)


def test_attention_heads_divide_widths_that_are_not_multiples_of_the_head_width():
    from synthad.methods.realnet.model import AttentionBlock

    block = AttentionBlock(112, head_channels=32)  # 112 / 32 = 3.5: 2 heads of 56
    assert block.heads == 2 and block(torch.rand(1, 112, 4, 4)).shape == (1, 112, 4, 4)
    assert AttentionBlock(256, head_channels=64).heads == 4  # the paper's widths are unchanged
