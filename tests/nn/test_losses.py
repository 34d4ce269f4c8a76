"""SSIM against scikit-image, focal loss against its formula, weight init."""

import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity
from torch import nn

from synthad.nn import FocalLoss, SSIMLoss, focal_loss, init_weights, ssim_map


def test_ssim_matches_skimage():
    rng = np.random.default_rng(0)
    x = rng.random((40, 36, 3))
    y = np.clip(x + 0.2 * rng.standard_normal(x.shape), 0, 1)
    ref = structural_similarity(x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                data_range=1.0, channel_axis=2)
    tx, ty = (torch.from_numpy(a).permute(2, 0, 1)[None] for a in (x, y))
    ours = ssim_map(tx, ty)[..., 5:-5, 5:-5].mean().item()  # skimage drops a 5-pixel border
    assert ours == pytest.approx(ref, abs=1e-4)


def test_ssim_loss_identity_and_grad():
    x = torch.rand(2, 3, 32, 32, requires_grad=True)
    assert SSIMLoss()(x.detach(), x.detach()).item() == pytest.approx(0.0, abs=1e-5)
    loss = SSIMLoss()(x, torch.rand(2, 3, 32, 32))
    loss.backward()
    assert loss.item() > 0.5 and torch.isfinite(x.grad).all()


def test_focal_matches_formula():
    torch.manual_seed(0)
    probs = torch.softmax(torch.randn(2, 2, 5, 5), dim=1)
    target = (torch.rand(2, 1, 5, 5) > 0.5).float()
    s = 1e-5
    p1 = probs[:, 1:]
    onehot1 = target.clamp(s, 1 - s)
    pt = onehot1 * p1 + (1 - onehot1) * probs[:, :1] + s
    expected = (-(1 - pt) ** 2 * pt.log()).mean()
    torch.testing.assert_close(focal_loss(probs, target), expected)
    torch.testing.assert_close(FocalLoss()(probs, target), expected)


def test_focal_small_for_confident_correct():
    target = torch.ones(1, 1, 4, 4)
    good = torch.cat([torch.zeros(1, 1, 4, 4), torch.ones(1, 1, 4, 4)], 1)
    assert focal_loss(good, target).item() < 1e-6
    assert focal_loss(good.flip(1), target).item() > 1.0


def test_init_weights():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 64, 3), nn.BatchNorm2d(64))
    net.apply(init_weights)
    assert net[0].weight.std().item() == pytest.approx(0.02, rel=0.1)
    assert net[1].weight.mean().item() == pytest.approx(1.0, abs=0.01)
    assert net[1].bias.abs().max().item() == 0
