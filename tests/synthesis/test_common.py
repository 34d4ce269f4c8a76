"""Shared pieces of the per-paper synthesizers (synthad.synthesis.common)."""

import numpy as np
import pytest

from synthad.synthesis.common import check_size, choose, foreground_perlin_mask, rotate_with_foreground


def test_foreground_perlin_mask_stays_in_every_foreground():
    left = np.zeros((64, 64), np.float32)
    left[:, :40] = 1
    top = np.zeros((64, 64), np.float32)
    top[:40] = 1
    masks = [foreground_perlin_mask((64, 64), np.random.default_rng(s), left, None, top) for s in range(40)]
    union = np.max(masks, axis=0)
    assert union.any()
    assert not union[(left * top) == 0].any()
    assert set(np.unique(masks)) <= {0.0, 1.0} and masks[0].dtype == np.float32


def test_foreground_perlin_mask_redraws_until_large_enough():
    draws = lambda tries: [  # noqa: E731
        foreground_perlin_mask((64, 64), np.random.default_rng(s), min_area=300, max_tries=tries).sum()
        for s in range(30)
    ]
    once, redrawn = draws(1), draws(50)
    assert min(once) < 300  # a single DRAEM draw is often small or empty
    assert min(redrawn) >= 300


def test_foreground_perlin_mask_empty_foreground_gives_empty_mask():
    empty = np.zeros((32, 32))
    mask = foreground_perlin_mask((32, 32), np.random.default_rng(0), empty, min_area=49, max_tries=5)
    assert not mask.any()


def test_rotate_with_foreground_shares_the_angle():
    image = np.full((48, 48, 3), 0.6, np.float32)
    fg = np.ones((48, 48), np.float32)
    out, out_fg = rotate_with_foreground(image, fg, np.random.default_rng(0), p=1.0, angle=(45, 45))
    assert out_fg[0, 0] == 0 and out[0, 0].sum() == 0  # both rotated: black, background corners
    np.testing.assert_array_equal(out_fg > 0, out.sum(-1) > 0.9)  # same region, up to the edge pixels' blur
    same, same_fg = rotate_with_foreground(image, fg, np.random.default_rng(0), p=0.0)
    np.testing.assert_array_equal(same, image)
    np.testing.assert_array_equal(same_fg, fg)


def test_choose_follows_the_weights():
    rng = np.random.default_rng(0)
    draws = [choose(rng, {"a": 1.0, "b": 3.0, "never": 0.0}) for _ in range(2000)]
    assert "never" not in draws
    assert draws.count("b") / len(draws) == pytest.approx(0.75, abs=0.04)
    with pytest.raises(ValueError, match="positive sum"):
        choose(rng, {"a": 0.0})


def test_check_size_names_the_source():
    with pytest.raises(ValueError, match="natural source image is \\(32, 32, 3\\)"):
        check_size(np.zeros((32, 32, 3), np.uint8), (64, 64), "natural")
