"""NDP-Net components and losses: RBFRM, FFM, RBAM, MSDSM, filters, encoder/decoder (defining properties)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import ndimage

from synthad.methods.ndpnet.loss import (
    VGG_RELUS,
    PerceptualLoss,
    defect_perception_loss,
    feature_repair_loss,
    minmax_normalize,
    resize_mask,
    segmentation_loss,
    segmentation_target,
)
from synthad.methods.ndpnet.model import Decoder, Encoder, NdpNetModel
from synthad.methods.ndpnet.msdsm import MSDSM, combine_maps, mean_filter, median_filter, smooth
from synthad.methods.ndpnet.rbam import RBAM, FeatureFusion, rbfrm, rbfrm_weights


def _rand(*shape, seed=0):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("k", [2, 4])
def test_rbfrm_patches_are_convex_combinations_of_reference_patches(k):
    x, ref = _rand(2, 5, 8, 8), _rand(1, 5, 8, 8, seed=1)
    weights = rbfrm_weights(x, ref, k)
    n = (8 // k) ** 2
    assert weights.shape == (2, n, n) and (weights >= 0).all()
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, n))
    out_patches = F.unfold(rbfrm(x, ref, k), k, stride=k)  # (B, C*k*k, N)
    ref_patches = F.unfold(ref, k, stride=k)[0]  # (C*k*k, N)
    torch.testing.assert_close(out_patches, torch.einsum("bnm,dm->bdn", weights, ref_patches))
    lo, hi = ref_patches.min(1).values, ref_patches.max(1).values  # inside the hull's bounding box
    assert (out_patches >= lo[None, :, None] - 1e-6).all() and (out_patches <= hi[None, :, None] + 1e-6).all()


def test_rbfrm_uses_cosine_similarity_and_only_reference_content():
    x, ref = _rand(1, 4, 8, 8), _rand(1, 4, 8, 8, seed=1)
    torch.testing.assert_close(rbfrm(7.0 * x, ref, 2), rbfrm(x, ref, 2))  # Eq. 3 is scale invariant
    tile = _rand(1, 4, 2, 2, seed=2).repeat(1, 1, 4, 4)  # every reference patch the same
    torch.testing.assert_close(rbfrm(x, tile, 2), tile)  # the defect is gone, whatever x was
    # With a sharp softmax every patch of the reference picks itself: the repair is the identity.
    torch.testing.assert_close(rbfrm(ref, ref, 2, scale=1e4), ref)
    # Eq. 4 as written (scale 1) is soft: the weights stay within a factor e of each other.
    w = rbfrm_weights(x, ref, 2)
    assert (w.amax(-1) / w.amin(-1)).max() <= np.e + 1e-4


def test_rbfrm_pads_maps_smaller_than_the_patch():
    x, ref = _rand(2, 3, 2, 2), _rand(1, 3, 2, 2, seed=1)
    torch.testing.assert_close(rbfrm(x, ref, 4), ref.expand(2, -1, -1, -1))  # one patch: weight 1


def test_ffm_attention_is_a_softmax_over_branches():
    torch.manual_seed(0)
    ffm = FeatureFusion(6, hidden=4, m=5).eval()
    maps = [_rand(2, 6, 8, 8, seed=s) for s in range(3)]
    attn = ffm.attention_maps(maps)
    assert attn.shape == (2, 3, 6, 8, 8) and (attn > 0).all()
    torch.testing.assert_close(attn.sum(1), torch.ones(2, 6, 8, 8))  # A_rep4 + A_rep2 + A_ad = 1
    torch.testing.assert_close(ffm(maps), (attn * torch.stack(maps, 1)).sum(1))  # Eq. 8
    same = maps[0]
    torch.testing.assert_close(ffm([same, same, same]), same)


def test_rbam_keeps_a_defect_free_map_made_of_reference_patches():
    torch.manual_seed(0)
    rbam = RBAM(4, (2, 4), hidden=4, m=5).eval()
    tile = _rand(1, 4, 4, 4).repeat(1, 1, 2, 2)  # 8x8 map, periodic with period 4 (and 2x2 patches differ)
    periodic = _rand(1, 4, 2, 2, seed=3).repeat(1, 1, 4, 4)
    torch.testing.assert_close(rbam(periodic, periodic), periodic)  # all branches equal F_ad
    assert rbam(tile, tile).shape == (1, 4, 8, 8)


def test_msdsm_weights_sum_as_specified():
    torch.manual_seed(0)
    msdsm = MSDSM((4, 8, 16), width=4)
    assert msdsm.weights == (0.2, 0.2, 0.6) and sum(msdsm.weights) == pytest.approx(1.0)
    maps = [torch.full((1, 1, 16 // 2**i, 16 // 2**i), v) for i, v in enumerate((0.1, 0.5, 0.9))]
    torch.testing.assert_close(combine_maps(maps, msdsm.weights, (16, 16)),
                               torch.full((1, 1, 16, 16), 0.2 * 0.1 + 0.2 * 0.5 + 0.6 * 0.9))
    certain = [torch.tensor([-50.0, 50.0]).view(1, 2, 1, 1).expand(1, 2, s, s) for s in (16, 8, 4)]
    torch.testing.assert_close(msdsm.combine(certain, (16, 16)), torch.ones(1, 1, 16, 16))
    # g() is bilinear up-sampling: a step in AM_3 becomes a ramp weighted by 0.6.
    step = torch.zeros(1, 1, 4, 4)
    step[..., 2:] = 1.0
    up = combine_maps([torch.zeros(1, 1, 16, 16)] * 2 + [step], msdsm.weights, (16, 16))
    torch.testing.assert_close(up, 0.6 * F.interpolate(step, (16, 16), mode="bilinear", align_corners=False))


def test_filters():
    x = _rand(1, 1, 12, 12)
    med = median_filter(x, 5)
    np.testing.assert_allclose(med[0, 0].numpy(), ndimage.median_filter(x[0, 0].numpy(), 5, mode="mirror"),
                               rtol=0, atol=1e-7)
    spike = torch.zeros(1, 1, 9, 9)
    spike[..., 4, 4] = 25.0
    assert median_filter(spike, 5).abs().max() == 0  # an isolated hot pixel is removed
    box = mean_filter(spike, 5)
    assert box[..., 2:7, 2:7].eq(1.0).all() and box.sum() == 25.0
    assert smooth(spike, 5).shape == spike.shape and smooth(x, 1).equal(x)


def test_encoder_layers_and_decoder():
    enc = Encoder(4)
    feats = enc(_rand(2, 3, 64, 64))
    assert [f.shape[1:] for f in feats] == [(4, 64, 64), (8, 32, 32), (16, 16, 16), (32, 8, 8), (32, 4, 4)]
    assert len(enc(_rand(1, 3, 64, 64), depth=3)) == 3
    assert Decoder(4)(feats[2:]).shape == (2, 3, 64, 64)


def test_model_variants_and_frozen_encoder_mode():
    full = NdpNetModel(4, 32, dsm_width=4, ffm_channels=4)
    bare = NdpNetModel(4, 32, use_rbam=False, use_msdsm=False)
    assert full.rbam is not None and len(full.rbam) == 3 and bare.rbam is None and bare.msdsm is None
    out = full(_rand(2, 3, 32, 32))
    assert out.rec.shape == (2, 3, 32, 32) and [x.shape[-1] for x in out.logits] == [32, 16, 8]
    x = _rand(2, 3, 32, 32)
    assert all(a.equal(b) for a, b in zip(bare(x).deep_out, bare(x).deep_in, strict=True))
    full.freeze_encoder()
    full.train()
    assert not full.encoder.training and full.decoder.training
    assert not any(p.requires_grad for p in full.encoder.parameters())


def test_defect_perception_loss_is_zero_when_features_localise_the_mask():
    mask = torch.zeros(2, 1, 8, 8)
    mask[0, :, 2:6, 2:6] = 1
    mask[1, :, :4, 4:] = 1
    f_o = [torch.zeros(2, 3, 8, 8), torch.zeros(2, 5, 4, 4)]
    f_ad = [3.0 * mask.expand(-1, 3, -1, -1), 2.0 * F.avg_pool2d(mask, 2).expand(-1, 5, -1, -1)]
    assert defect_perception_loss(f_o, f_ad, mask) == 0
    assert defect_perception_loss(f_o, [f.flip(-1) for f in f_ad], mask) > 0.1
    n = minmax_normalize(_rand(2, 1, 5, 5) * 7 + 3)
    assert n.flatten(1).min(1).values.eq(0).all()
    torch.testing.assert_close(n.flatten(1).max(1).values, torch.ones(2))
    assert resize_mask(mask, (4, 4)).unique().tolist() == [0.0, 1.0]


def test_coarse_targets_keep_a_small_defect():
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., 5:7, 9:11] = 1  # 2 x 2 pixels: one quarter of a 4 x 4 cell at the 4 x 4 scale
    soft = resize_mask(mask, (4, 4))
    assert soft.sum() * 16 == mask.sum() and soft.max() == 0.25  # Eq. 2: the defect share per cell
    hard = segmentation_target(mask, (4, 4))
    assert hard.unique().tolist() == [0.0, 1.0] and hard[0, 0, 1, 2] == 1 and hard.sum() == 1


def test_feature_repair_and_segmentation_losses():
    a, b = [_rand(2, 3, 4, 4), _rand(2, 5, 2, 2)], [_rand(2, 3, 4, 4, seed=1), _rand(2, 5, 2, 2, seed=2)]
    assert feature_repair_loss(a, a) == 0
    expected = (F.mse_loss(a[0], b[0]) + F.mse_loss(a[1], b[1])) / 2
    torch.testing.assert_close(feature_repair_loss(a, b), expected)
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., :4, :] = 1
    good = [50 * torch.cat([1 - 2 * m, 2 * m - 1], 1) for m in (mask, segmentation_target(mask, (4, 4)))]
    assert segmentation_loss(good, mask) < 1e-4 < 0.5 < segmentation_loss([-g for g in good], mask)


def test_perceptual_loss_on_fixed_random_vgg():
    state = torch.get_rng_state()
    loss = PerceptualLoss("random")
    assert torch.get_rng_state().equal(state)  # building the fixed random VGG leaves the run's RNG alone
    assert all(not p.requires_grad for p in loss._trunk[0].parameters())
    x = _rand(1, 3, 16, 16)
    feats = loss.features(x)
    assert [f.shape[1] for f in feats] == [64, 64, 128, 128, 256] and len(VGG_RELUS) == 5
    assert all((f >= 0).all() for f in feats)  # ReLU outputs
    assert loss(x, x) == 0 and loss(x, _rand(1, 3, 16, 16, seed=1)) > 0
    assert PerceptualLoss("random")._trunk[0] is loss._trunk[0]  # one fixed network per process
    off = PerceptualLoss("none")
    assert off(x, 1 - x) == 0 and not off._trunk


def test_perceptual_loss_on_the_packaged_efficientnet():
    loss = PerceptualLoss("imagenet", "efficientnet_lite0")
    a = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    assert [f.shape[1] for f in loss.features(a)] == [16, 24, 40]
    assert loss(a, a).item() == 0 and loss(a, a.flip(-1)).item() > 0
    assert not any(p.requires_grad for p in loss._trunk[0].parameters())


def test_perceptual_loss_passes_the_gradient_to_the_reconstruction():
    loss = PerceptualLoss("imagenet", "efficientnet_lite0")
    target = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    rec = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(1)).requires_grad_(True)
    loss(rec, target).backward()
    assert rec.grad is not None and rec.grad.abs().sum() > 0
    assert all(p.grad is None for p in loss._trunk[0].parameters())
