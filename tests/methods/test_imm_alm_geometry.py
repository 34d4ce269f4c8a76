"""IMM geometry and matching: warp algebra, warp-back of masks, identity start, recovering a known warp."""

import math

import numpy as np
import torch
import torch.nn.functional as F

from synthad.methods.imm_alm.geometry import affine_matrix, invert, random_params, warp
from synthad.methods.imm_alm.loss import registration_loss
from synthad.methods.imm_alm.model import ImageMatcher


def test_affine_matrix_is_a_rotation_then_shift():
    m = affine_matrix(torch.tensor([[0.2, -0.1, math.pi / 2]]))
    torch.testing.assert_close(m, torch.tensor([[[0.0, -1.0, 0.2], [1.0, 0.0, -0.1]]]), atol=1e-6, rtol=0)
    # A quarter turn of a square image is the exact pixel rotation torch.rot90 performs.
    x = torch.rand(1, 1, 8, 8)
    quarter = warp(x, affine_matrix(torch.tensor([[0.0, 0.0, math.pi / 2]])))
    torch.testing.assert_close(quarter, torch.rot90(x, 1, dims=(2, 3)), atol=1e-5, rtol=0)


def test_invert_composes_to_identity():
    params = random_params(5, np.random.default_rng(0), degrees=40, shift=0.2)
    m, inv = affine_matrix(params), invert(affine_matrix(params))
    full = torch.cat([m, torch.tensor([0.0, 0.0, 1.0]).expand(5, 1, 3)], dim=1)
    full_inv = torch.cat([inv, torch.tensor([0.0, 0.0, 1.0]).expand(5, 1, 3)], dim=1)
    torch.testing.assert_close(full @ full_inv, torch.eye(3).expand(5, 3, 3), atol=1e-5, rtol=0)


def test_identity_params_leave_images_unchanged():
    x = torch.rand(2, 3, 16, 16)
    torch.testing.assert_close(warp(x, affine_matrix(torch.zeros(2, 3))), x, atol=1e-5, rtol=0)


def test_warp_back_restores_mask_alignment():
    """Warp a mask with theta, warp back with the inverse: IoU ~ 1 on the part that stayed in view."""
    mask = torch.zeros(1, 1, 64, 64)
    mask[..., 20:34, 24:44] = 1
    mask[..., 38:46, 18:26] = 1
    params = torch.tensor([[0.12, -0.08, math.radians(25)]])
    there = warp(mask, affine_matrix(params), mode="nearest", padding="zeros")
    back = warp(there, invert(affine_matrix(params)), mode="nearest", padding="zeros")
    inter, union = (back * mask).sum(), ((back + mask) > 0).sum()
    assert inter / union > 0.9
    assert (there * mask).sum() / ((there + mask) > 0).sum() < 0.6  # the warp really moved it


def test_matcher_starts_from_no_warp():
    torch.manual_seed(0)
    matcher = ImageMatcher([4, 8], 16)
    x = torch.rand(3, 3, 32, 32)
    aligned, matrix = matcher(x, torch.rand(3, 32, 32))
    torch.testing.assert_close(matrix, affine_matrix(torch.zeros(3, 3)))
    torch.testing.assert_close(aligned, x, atol=1e-5, rtol=0)


def _toy_template(size: int = 32) -> torch.Tensor:
    """A blurred, asymmetric 'F'-shaped bright pattern on a dark background, ``(3, S, S)``."""
    img = torch.zeros(1, 1, size, size)
    img[..., 6:26, 8:13] = 1.0  # stem
    img[..., 6:11, 8:24] = 1.0  # top bar
    img[..., 14:18, 8:19] = 0.6  # middle bar, dimmer
    img = F.avg_pool2d(img, 5, stride=1, padding=2)  # smooth: a wide basin for the MSE gradient
    return torch.cat([img, img * 0.5, 1 - img])[:, 0]


def test_trained_matcher_recovers_a_known_warp():
    """Train N_P / N_R on randomly warped copies of one template; held-out warps are undone."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    template = _toy_template()
    matcher = ImageMatcher([8, 16, 16], 32)
    optimizer = torch.optim.Adam(matcher.parameters(), lr=2e-3)
    for _ in range(150):
        known = affine_matrix(random_params(16, rng, degrees=20, shift=0.1))
        moved = warp(template.expand(16, 3, 32, 32), known)
        aligned, _ = matcher(moved, template)
        loss = registration_loss(aligned, template)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    matcher.eval()
    params = torch.tensor([[0.15, -0.1, math.radians(15)], [-0.1, 0.12, math.radians(-18)]])
    with torch.no_grad():
        _, found = matcher(warp(template.expand(2, 3, 32, 32), affine_matrix(params)), template)
    # The found warp must be the known one's inverse: the composition is (close to) the identity.
    inverse = invert(affine_matrix(params))
    angle = lambda m: torch.atan2(m[:, 1, 0], m[:, 0, 0])  # noqa: E731
    rotation_error = angle(found) - angle(inverse)
    assert rotation_error.abs().max() < math.radians(5)
    assert (found[:, :, 2] - inverse[:, :, 2]).abs().max() < 0.06
