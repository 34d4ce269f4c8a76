"""Tests of foreground masks: threshold semantics, morphology, file naming, real photos, demo objects."""

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from synthad.config import MaskSetting
from synthad.data.demo import MASK_SETTINGS
from synthad.data.demo.generate import image_rng, render_sample
from synthad.data.loader import read_image, read_mask
from synthad.masks import foreground_mask, mask_file_for, write_masks
from synthad.masks.sheet import contact_sheet

PLATE = Path("/work/shared/data/mpdd_metal_plate")


def _disk(bright_object: bool) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:64, 0:64]
    disk = (y - 32) ** 2 + (x - 32) ** 2 < 15**2
    image = np.where(disk == bright_object, 200, 40).astype(np.uint8)
    return np.repeat(image[..., None], 3, axis=2), disk


def test_whole_is_all_foreground():
    assert foreground_mask(np.zeros((5, 7, 3), np.uint8), MaskSetting()).all()


@pytest.mark.parametrize("method", ["otsu", "triangle"])
def test_threshold_and_invert(method):
    image, disk = _disk(bright_object=True)
    assert (foreground_mask(image, MaskSetting(method=method)) == disk).all()
    image, disk = _disk(bright_object=False)  # dark object on a bright background
    assert (foreground_mask(image, MaskSetting(method=method, invert=True)) == disk).all()


def test_channel_selects_one_plane():
    image, disk = _disk(bright_object=True)
    image[..., 1] = 255 - image[..., 1]  # green plane says the opposite
    assert (foreground_mask(image, MaskSetting(method="otsu", channel=0)) == disk).all()
    assert (foreground_mask(image, MaskSetting(method="otsu", channel=1)) == ~disk).all()


def test_closing_fills_holes_and_opening_removes_specks():
    image, disk = _disk(bright_object=True)
    image[30:33, 30:33] = 40  # a hole in the object
    image[2, 2] = 200  # a speck in the background
    raw = foreground_mask(image, MaskSetting(method="otsu"))
    assert not raw[31, 31] and raw[2, 2]
    clean = foreground_mask(image, MaskSetting(method="otsu", closing=5, opening=3))
    assert clean[31, 31] and not clean[2, 2]
    assert (clean == disk).mean() > 0.99


def test_bad_image_is_rejected():
    with pytest.raises(ValueError, match="uint8"):
        foreground_mask(np.zeros((4, 4, 3), np.float32), MaskSetting(method="otsu"))


def test_mask_file_for_keeps_split_type_and_name():
    path = mask_file_for("data/masks/demo/washer", "data/raw/demo/washer/test/dent/003.png")
    assert path == Path("data/masks/demo/washer/test/dent/003.png")
    assert mask_file_for("m", "x/train/good/000.jpg").suffix == ".png"


@pytest.mark.skipif(not PLATE.is_dir(), reason="MPDD metal_plate sample not available")
def test_otsu_on_real_metal_plate_photos():
    setting = MaskSetting(method="otsu", channel="gray", invert=True, closing=6)  # MPDD rule (A.3)
    for path in sorted((PLATE / "train/good").glob("*.png"))[:4]:
        image = read_image(path)
        mask = foreground_mask(image, setting)
        blue = image[..., 2].astype(int) - image[..., 0].astype(int) > 40  # the plate is painted blue
        assert 0.1 < mask.mean() < 0.6, path
        assert (mask & blue).sum() / (mask | blue).sum() > 0.8, path


@pytest.mark.parametrize("category", ["washer", "circuit"])
def test_demo_object_masks_match_the_rendered_object(category):
    setting = MaskSetting(**MASK_SETTINGS[category])
    for number in range(3):
        rng = image_rng(0, category, "train", "good", number)
        image, _, alpha = render_sample(category, "good", rng, 256)
        mask, truth = foreground_mask(image, setting), alpha > 0.5
        assert (mask & truth).sum() / (mask | truth).sum() > 0.97


def test_write_masks_and_contact_sheet(tmp_path):
    image, _ = _disk(bright_object=True)
    paths = []
    for split, name in [("train", "good"), ("test", "dent")]:
        path = tmp_path / "raw" / "cat" / split / name / "000.png"
        path.parent.mkdir(parents=True)
        cv2.imwrite(str(path), image)
        paths.append(str(path))
    out = tmp_path / "masks"
    assert write_masks(pd.DataFrame({"path": paths}), MaskSetting(method="otsu"), out, progress=False) == 2
    masks = [read_mask(mask_file_for(out, p)) for p in paths]
    assert masks[0].any() and not masks[0].all()
    sheet = contact_sheet([image, image], masks, ["a", "b"], tmp_path / "fig" / "sheet.png", heading="t")
    assert sheet.stat().st_size > 1000
