"""Perlin masks and blending (synthad.synthesis.perlin, .blend)."""

import numpy as np
import pytest
import torch

from synthad.synthesis import blend, perlin_mask, perlin_noise, rotate


def test_perlin_noise_is_seeded_and_bounded():
    a = perlin_noise((64, 48), (4, 8), np.random.default_rng(1))
    b = perlin_noise((64, 48), (4, 8), np.random.default_rng(1))
    c = perlin_noise((64, 48), (4, 8), np.random.default_rng(2))
    assert a.shape == (64, 48) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.abs(a).max() <= 1.5
    # Gradient noise is zero on lattice points (pixel 0 is a lattice corner).
    assert a[0, 0] == pytest.approx(0.0, abs=1e-6)


def test_perlin_noise_any_shape():
    assert perlin_noise((50, 37), (32, 32), np.random.default_rng(0)).shape == (50, 37)


def test_perlin_mask_binary_and_deterministic():
    masks = [perlin_mask((64, 64), np.random.default_rng(s)) for s in range(20)]
    for m in masks:
        assert set(np.unique(m)) <= {0.0, 1.0}
    again = perlin_mask((64, 64), np.random.default_rng(3))
    np.testing.assert_array_equal(masks[3], again)
    coverage = np.mean([m.mean() for m in masks])
    assert 0.0 < coverage < 0.5  # threshold 0.5 keeps a minority of pixels


def test_perlin_mask_threshold_and_rotation_options():
    rng = lambda: np.random.default_rng(7)  # noqa: E731
    low = perlin_mask((64, 64), rng(), threshold=-2.0, rotation=None)
    assert low.all()  # every value exceeds -2 without rotation
    straight = perlin_mask((64, 64), rng(), rotation=None)
    rotated = perlin_mask((64, 64), rng(), rotation=(30.0, 30.0))
    assert not np.array_equal(straight, rotated)
    # Rotated corners are zero-filled noise, so never above a positive threshold.
    assert rotated[0, 0] == rotated[-1, -1] == 0


def test_rotate_keeps_shape():
    img = np.random.default_rng(0).random((40, 30, 3)).astype(np.float32)
    assert rotate(img, 45).shape == img.shape
    np.testing.assert_allclose(rotate(img, 0.0), img, atol=1e-6)


@pytest.mark.parametrize("opacity", [0.0, 0.2, 1.0])
def test_blend_numpy(opacity):
    rng = np.random.default_rng(0)
    img, src = rng.random((16, 16, 3)), rng.random((16, 16, 3))
    mask = (rng.random((16, 16)) > 0.5).astype(float)
    out = blend(img, src, mask, opacity)
    inside = mask.astype(bool)
    np.testing.assert_allclose(out[~inside], img[~inside])
    np.testing.assert_allclose(out[inside], opacity * src[inside] + (1 - opacity) * img[inside])
    assert out.min() >= 0 and out.max() <= 1


def test_blend_torch_batched_per_sample_opacity():
    img, src = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)
    mask = torch.ones(2, 1, 8, 8)
    out = blend(img, src, mask, torch.tensor([1.0, 0.0]))
    torch.testing.assert_close(out[0], src[0])
    torch.testing.assert_close(out[1], img[1])
    out2 = blend(img, src, mask[:, 0], 0.5)  # (B, H, W) mask is broadcast too
    torch.testing.assert_close(out2, 0.5 * (img + src))
