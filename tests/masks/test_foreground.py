"""Tests of foreground masks: threshold semantics, morphology, file naming, real photos, demo objects."""

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from synthad.config import MaskSetting, build
from synthad.data.demo import MASK_SETTINGS
from synthad.data.demo.generate import image_rng, render_sample
from synthad.data.registry import get_dataset, mask_setting
from synthad.errors import ConfigError
from synthad.masks import foreground_mask, mask_file_for, write_masks
from synthad.masks.sheet import contact_sheet
from synthad.utils.images import read_image, read_mask

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


def _dark_with_bright_boxes(shape, *boxes):
    """Near-black RGB image (every channel 4) with blue-ish boxes ``(y0, y1, x0, x1)`` (blue 180)."""
    image = np.full((*shape, 3), 4, np.uint8)
    for y0, y1, x0, x1 in boxes:
        image[y0:y1, x0:x1] = (60, 120, 180)
    return image


def test_fixed_level_then_erosion_then_dilation():
    image = _dark_with_bright_boxes((60, 60), (10, 30, 10, 30), (45, 48, 5, 55))  # a square, a 3-px bar
    raw = foreground_mask(image, MaskSetting(method="fixed", channel=2, threshold=8))
    assert raw.sum() == 20 * 20 + 3 * 50
    assert not foreground_mask(image, MaskSetting(method="fixed", channel=2, threshold=180)).any()
    eroded = foreground_mask(image, MaskSetting(method="fixed", channel=2, threshold=8, erosion=5))
    assert eroded.sum() == 16 * 16  # 2 px off each side of the square; the bar is gone
    both = foreground_mask(image, MaskSetting(method="fixed", channel=2, threshold=8, erosion=5, dilation=3))
    assert both.sum() == 18 * 18 and both[19, 19]
    dark = foreground_mask(image, MaskSetting(method="fixed", channel=2, threshold=8, invert=True))
    assert (dark == ~raw).all()


def test_work_size_and_region():
    image = _dark_with_bright_boxes((200, 100), (20, 180, 10, 90))  # tall image, like juice_bottle
    setting = MaskSetting(method="fixed", channel=2, threshold=8, work_size=32, region=[0.0, 0.0, 0.5, 1.0])
    mask = foreground_mask(image, setting)
    assert mask.shape == (200, 100)
    assert not mask[100:].any()  # cut to the upper half
    truth = np.zeros((200, 100), bool)
    truth[20:100, 10:90] = True
    assert (mask & truth).sum() / (mask | truth).sum() > 0.95
    # kernel sides count in work_size pixels: erosion 5 at 32 px takes 2 / 32 of the height off the top
    setting = MaskSetting(method="fixed", channel=2, threshold=8, work_size=32, erosion=5)
    eroded = foreground_mask(image, setting)
    first = int(np.argmax(eroded.any(axis=1)))
    assert 20 + 2 * 200 / 32 - 7 <= first <= 20 + 2 * 200 / 32 + 7


@pytest.mark.parametrize("region", [[0.5, 0.0, 0.4, 1.0], [0.0, 0.0, 1.0, 1.5], [0.0, 1.0]])
def test_bad_region_is_a_config_error(region):
    with pytest.raises(ConfigError, match="region"):
        build(MaskSetting, {"method": "fixed", "region": region}, "masks.overrides.x")


# MVTec LOCO image sizes (H, W) divided by 4; the rules run at 256 x 256 whatever the size.
LOCO_THRESHOLDED = {"juice_bottle": (400, 200), "pushpins": (250, 425), "splicing_connectors": (212, 425)}


@pytest.mark.parametrize("category", sorted(LOCO_THRESHOLDED))
def test_loco_rules_find_a_bright_object_on_a_dark_background(category):
    """The official SLSG rules keep the pixels whose blue exceeds a low level (dark backgrounds)."""
    setting = mask_setting(get_dataset("mvtec_loco"), category)
    assert setting.method == "fixed" and setting.channel == 2 and setting.work_size == 256
    h, w = LOCO_THRESHOLDED[category]
    box = (h // 5, 4 * h // 5, w // 4, 3 * w // 4)
    mask = foreground_mask(_dark_with_bright_boxes((h, w), box), setting)
    truth = np.zeros((h, w), bool)
    truth[box[0]:box[1], box[2]:box[3]] = True
    assert 0.1 < mask.mean() < 0.9  # neither empty nor the whole image
    assert (mask & truth).sum() / (mask | truth).sum() > 0.75


def test_loco_juice_bottle_drops_the_right_and_bottom_strips():
    """The official rule clears columns >= 201 and rows >= 240 of its 256 x 256 mask."""
    h, w = LOCO_THRESHOLDED["juice_bottle"]
    image = _dark_with_bright_boxes((h, w), (h // 5, 4 * h // 5, int(0.85 * w), w), (int(0.96 * h), h, 0, w))
    assert not foreground_mask(image, mask_setting(get_dataset("mvtec_loco"), "juice_bottle")).any()


def test_every_loco_category_has_a_registered_setting():
    settings = get_dataset("mvtec_loco").mask_settings
    assert set(settings) == set(get_dataset("mvtec_loco").categories)
    # the official SLSG code restricts nothing on these two (SLSG README, "Foreground on MVTec LOCO")
    assert settings["breakfast_box"] == settings["screw_bag"] == {"method": "whole"}


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


def test_masks_do_not_import_the_data_package():
    """Image reading sits below data/ and masks/: masks use it without importing data/ (no cycle)."""
    code = ("import sys, synthad.masks.foreground; "
            "print(sorted(m for m in sys.modules if m.startswith('synthad.data')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
