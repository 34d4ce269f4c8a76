"""Loader errors on bad input (corrupt image, mask of another size) and items of a real index."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from synthad.data.layouts import build_index
from synthad.data.loader import ImageDataset, read_image, read_masks
from synthad.data.registry import get_dataset
from synthad.errors import DataError


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


def test_mask_of_another_size(tmp_path):
    mask = tmp_path / "m.png"
    cv2.imwrite(str(mask), np.full((8, 6), 255, np.uint8))
    with pytest.raises(DataError, match=r"m.png: mask is 6x8 but its image img.png is 10x10"):
        read_masks(str(mask), "img.png", (10, 10))
    assert read_masks(str(mask), "img.png", (8, 6)).all()


def test_several_masks_are_united(tmp_path):
    a, b = np.zeros((4, 4), np.uint8), np.zeros((4, 4), np.uint8)
    a[0, 0], b[3, 3] = 255, 255
    cv2.imwrite(str(tmp_path / "a.png"), a)
    cv2.imwrite(str(tmp_path / "b.png"), b)
    union = read_masks(f"{tmp_path / 'a.png'};{tmp_path / 'b.png'}", "img", (4, 4))
    assert union.sum() == 2 and union[0, 0] and union[3, 3]


def test_dataset_items_from_real_index(metal_plate, tmp_path):
    frame = build_index(get_dataset("folder"), metal_plate, "mpdd_metal_plate", tmp_path / "i.csv")
    test = frame[frame["split"] == "test"]
    item = ImageDataset(test[test["label"] == 1].head(1), size=64)[0]
    assert item["image"].shape == (3, 64, 64) and item["mask"].shape == (1, 64, 64)
    assert item["label"] == 1 and item["mask"].sum() > 0
    assert 0.0 <= float(item["image"].min()) and float(item["image"].max()) <= 1.0
