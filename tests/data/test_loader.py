"""Loader: masks of an index row, items of a real index, and the index's geometry (resize mode).

Decoding single files is tested in tests/utils/test_images.py.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from tiny_methods import TINY

import synthad.data.loader as loader
from synthad.data.index import read_index, resize_mode, write_index
from synthad.data.layouts import build_index
from synthad.data.loader import ImageDataset, load_train_images, read_masks
from synthad.data.registry import get_dataset
from synthad.errors import DataError
from synthad.masks.foreground import mask_file_for
from synthad.methods import FitContext, get_method, method_config
from synthad.utils.images import write_image


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


# A 40 x 80 (H x W) image: grey, black where ``pad`` adds bars, and a red defect on rows 8:24,
# columns 24:40 (multiples of 4, so every mode maps it onto whole pixels of a 20 px square).
DEFECT = (slice(8, 24), slice(24, 40))
# Where the defect lands at 20 px: squash scales rows by 2 and columns by 4; pad centres the image
# on an 80 px square (20 rows of bar above it) and scales by 4; crop keeps columns 20:60, scales by 2.
EXPECTED = {"squash": (slice(4, 12), slice(6, 10)), "pad": (slice(7, 11), slice(6, 10)),
            "crop": (slice(4, 12), slice(2, 10))}


def _wide_category(tmp_path, mode: str):
    """Index (with ``resize: mode``) and foreground folder of one train and one defective test image."""
    image = np.full((40, 80, 3), 50, np.uint8)
    image[DEFECT] = (255, 0, 0)
    mask = np.zeros((40, 80), np.uint8)
    mask[DEFECT] = 255
    rows = []
    for split, label in (("train", 0), ("test", 1)):
        path = write_image(tmp_path / "cat" / split / "x" / "000.png", image)
        mask_path = write_image(tmp_path / "gt" / f"{split}.png", mask) if label else ""
        write_image(mask_file_for(tmp_path / "fg", path), mask)  # foreground = the defect region
        rows.append({"path": str(path), "split": split, "label": label, "defect_type": "x",
                     "mask_path": str(mask_path), "resize": mode})
    return write_index(rows, tmp_path / f"{mode}.csv", "wide"), tmp_path / "fg"


@pytest.mark.parametrize("mode", ["squash", "pad", "crop"])
def test_image_masks_and_foreground_share_the_geometry(tmp_path, mode):
    index, fg_dir = _wide_category(tmp_path, mode)
    item = ImageDataset(index[index["split"] == "test"], 20, fg_dir)[0]
    expected = np.zeros((20, 20), bool)
    expected[EXPECTED[mode]] = True
    red = ((item["image"][0] > 0.6) & (item["image"][1] < 0.3)).numpy()
    np.testing.assert_array_equal(red, expected)
    np.testing.assert_array_equal(item["mask"][0].numpy() > 0, expected)
    np.testing.assert_array_equal(item["foreground"][0].numpy() > 0, expected)
    bars = item["image"][:, :5].amax() if mode == "pad" else None  # the letterbox is black
    assert bars is None or float(bars) == 0.0


@pytest.mark.parametrize("mode", ["pad", "crop"])
def test_training_pool_follows_the_index_geometry(tmp_path, mode):
    _, fg_dir = _wide_category(tmp_path, mode)
    images, foregrounds = load_train_images(tmp_path / f"{mode}.csv", 20, masks_dir=fg_dir)
    expected = np.zeros((20, 20), bool)
    expected[EXPECTED[mode]] = True
    np.testing.assert_array_equal(images[0, :, :, 0] == 255, expected)  # area averaging: pure red
    np.testing.assert_array_equal(foregrounds[0] == 1, expected)


def test_index_resize_column(tmp_path, metal_plate):
    frame = build_index(get_dataset("folder"), metal_plate, "mpdd_metal_plate", tmp_path / "sq.csv")
    assert "resize" not in frame.columns and resize_mode(frame) == "squash"  # squash: index unchanged
    build_index(get_dataset("folder"), metal_plate, "mpdd_metal_plate", tmp_path / "pad.csv", "pad")
    assert resize_mode(read_index(tmp_path / "pad.csv")) == "pad"
    index, _ = _wide_category(tmp_path, "crop")
    for bad in ("stretch", ["pad", "crop"]):
        frame = index.assign(resize=bad)
        frame.to_csv(tmp_path / "bad.csv", index=False)
        with pytest.raises(DataError, match=r"bad\.csv: column resize must hold one of squash, pad, crop"):
            read_index(tmp_path / "bad.csv")


def test_training_decodes_each_image_once(tiny_index, banks, tmp_path, monkeypatch):
    """Every epoch draws from memory: a 3-epoch fit decodes each training image exactly once."""
    decoded, original = [], loader.read_image

    def counting_read(path):
        decoded.append(str(path))
        return original(path)

    monkeypatch.setattr(loader, "read_image", counting_read)
    train = ImageDataset(tiny_index[tiny_index["split"] == "train"], 32)
    method = get_method("draem")(method_config("draem", TINY["draem"] | {"epochs": 3}), "cpu")
    torch.manual_seed(0)
    method.fit(train, FitContext(checkpoint_path=tmp_path / "state.pt", banks=banks, progress=False))
    assert sorted(decoded) == sorted(train.rows["path"])
