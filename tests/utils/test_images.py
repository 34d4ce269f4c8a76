"""Reading image and mask files: bad input, every bit depth and channel layout.

Bad input: corrupt, empty or missing image, JPEG mask. Layouts: real files written to tmp_path.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from synthad.errors import DataError
from synthad.utils.images import read_image, read_mask, read_mask_values


def test_corrupt_image_is_named(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")
    with pytest.raises(DataError, match=r"broken.png: cannot decode image"):
        read_image(bad)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="empty.png: cannot decode"):
        read_image(empty)
    with pytest.raises(DataError, match="missing.png: image file does not exist"):
        read_image(tmp_path / "missing.png")


def _write(path, pixels):
    """Write ``pixels`` with OpenCV (BGR order for colour) and return the path."""
    assert cv2.imwrite(str(path), pixels)
    return path


def _palette(path, indices, colours):
    """A palette PNG: ``indices (H, W)`` into ``colours`` (RGB triples)."""
    image = Image.fromarray(np.asarray(indices, np.uint8), "P")
    image.putpalette([c for colour in colours for c in colour])
    image.save(path)
    return path


def test_16bit_mask_keeps_small_values(tmp_path):
    # IMREAD_GRAYSCALE reduced 16 bits to 8 (v >> 8): the value 1 became 0, an empty mask.
    values = np.array([[0, 1], [300, 0]], np.uint16)
    path = _write(tmp_path / "m16.png", values)
    np.testing.assert_array_equal(read_mask(path), values != 0)
    np.testing.assert_array_equal(read_mask(_write(tmp_path / "m16.tif", values)), values != 0)


def test_mask_layouts(tmp_path):
    expected = np.array([[False, True], [True, False]])
    grey = np.where(expected, 255, 0).astype(np.uint8)
    colour = np.zeros((2, 2, 3), np.uint8)
    colour[0, 1], colour[1, 0] = (0, 0, 200), (3, 0, 0)  # a red and a very dark blue defect
    opaque = np.dstack([colour, np.full((2, 2), 255, np.uint8)])  # an all-255 alpha is no defect
    files = {
        "8-bit": _write(tmp_path / "m8.png", grey),
        "bmp": _write(tmp_path / "m.bmp", np.where(expected, 1, 0).astype(np.uint8)),
        "rgb": _write(tmp_path / "rgb.png", colour),
        "rgba": _write(tmp_path / "rgba.png", opaque),
        "palette": _palette(tmp_path / "p.png", [[0, 1], [2, 0]], [(0, 0, 0), (128, 0, 0), (0, 0, 2)]),
    }
    for name, path in files.items():
        np.testing.assert_array_equal(read_mask(path), expected, err_msg=name)


def test_mask_values_for_loco_defect_types(tmp_path):
    values = np.array([[0, 1000], [0, 0]], np.uint16)
    np.testing.assert_array_equal(read_mask_values(_write(tmp_path / "v.png", values)), values)


def test_lossy_masks_are_refused(tmp_path):
    mask = np.zeros((8, 8), np.uint8)
    jpeg = _write(tmp_path / "m.jpg", mask)
    with pytest.raises(DataError, match=r"m.jpg: masks must be lossless: PNG, BMP or TIFF"):
        read_mask(jpeg)
    disguised = tmp_path / "m.png"
    disguised.write_bytes(jpeg.read_bytes())
    with pytest.raises(DataError, match=r"m.png: masks must be lossless"):
        read_mask(disguised)
    assert read_image(jpeg).shape == (8, 8, 3)  # a JPEG image is fine


def test_image_layouts(tmp_path):
    rgb16 = np.zeros((2, 2, 3), np.uint16)
    rgb16[..., 2], rgb16[..., 1] = 65535, 100 * 256 + 255  # BGR: red full, green 100
    np.testing.assert_array_equal(read_image(_write(tmp_path / "rgb16.png", rgb16))[0, 0], [255, 100, 0])
    grey16 = np.array([[0, 65535]], np.uint16)
    np.testing.assert_array_equal(read_image(_write(tmp_path / "g16.png", grey16))[0], [[0] * 3, [255] * 3])
    grey_alpha = tmp_path / "la.png"
    transparent_grey = np.dstack([np.full((2, 2), 77, np.uint8), np.zeros((2, 2), np.uint8)])
    Image.fromarray(transparent_grey, "LA").save(grey_alpha)
    assert (read_image(grey_alpha) == 77).all()
    bgra = np.dstack([np.full((2, 2, 3), (10, 20, 30), np.uint8), np.zeros((2, 2), np.uint8)])
    np.testing.assert_array_equal(read_image(_write(tmp_path / "rgba.png", bgra))[1, 1], [30, 20, 10])
    palette = _palette(tmp_path / "p.png", [[0, 1]], [(0, 0, 0), (200, 100, 50)])
    np.testing.assert_array_equal(read_image(palette)[0], [[0, 0, 0], [200, 100, 50]])
    for suffix in (".tif", ".bmp"):
        colour = np.full((2, 2, 3), (10, 20, 30), np.uint8)
        assert (read_image(_write(tmp_path / f"c{suffix}", colour)) == [30, 20, 10]).all()
