"""Geometry: squash, pad and crop to a square, and the mode names shared with params.yaml."""

from __future__ import annotations

import typing

import numpy as np
import pytest

from synthad.config import DatasetEntry
from synthad.utils.geometry import RESIZE_MODES, resize_image, resize_mask, square


def test_modes_match_the_dataset_entry():
    assert RESIZE_MODES == typing.get_args(typing.get_type_hints(DatasetEntry)["resize"])


def test_square_pads_and_crops_centred():
    wide = np.arange(2 * 5).reshape(2, 5) + 1  # 2 x 5, no zero inside
    padded = square(wide, "pad")
    assert padded.shape == (5, 5)
    np.testing.assert_array_equal(padded[1:3], wide)  # (5 - 2) // 2 = 1 row above, 2 below
    assert not padded[[0, 3, 4]].any()
    np.testing.assert_array_equal(square(wide, "crop"), wide[:, 1:3])  # (5 - 2) // 2 = 1 column left
    tall = np.ones((6, 3, 3), np.uint8)
    assert square(tall, "pad").shape == (6, 6, 3) and square(tall, "crop").shape == (3, 3, 3)
    assert square(wide, "squash") is wide


@pytest.mark.parametrize("mode", RESIZE_MODES)
def test_a_square_image_is_only_scaled(mode):
    image = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    np.testing.assert_array_equal(resize_image(image, 8, mode), resize_image(image, 8))
    mask = image[..., 0] > 128
    np.testing.assert_array_equal(resize_mask(mask, 8, mode), resize_mask(mask, 8))


def test_pad_keeps_the_aspect_ratio():
    image = np.full((50, 100, 3), 200, np.uint8)
    out = resize_image(image, 20, "pad")
    assert out.shape == (20, 20, 3)
    assert (out[5:15] == 200).all() and not out[:5].any() and not out[15:].any()
    assert resize_mask(np.ones((50, 100), bool), 20, "pad").sum() == 20 * 10


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="resize mode 'stretch': expected one of squash, pad, crop"):
        square(np.zeros((2, 3)), "stretch")
