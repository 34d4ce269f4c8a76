"""Foreground masks of objects, one PNG per image of an index.

The per-category rules follow RealNet's official code (docs/official-code.md#realnet-foreground-masks).

Methods that restrict synthetic anomalies to the object (DMP, RealNet) read these masks. A
:class:`~synthad.config.MaskSetting` says how a category's mask is made:

* ``whole``: every pixel is foreground (textures);
* ``otsu`` / ``triangle`` / ``fixed``: threshold the grey image or one RGB channel at the level
  the method finds (or at ``threshold``); the pixels *above* it are the bright region. With
  ``invert=False`` the bright region is the foreground; with ``invert=True`` it is the background
  and the foreground is its complement (the official code's "gray Otsu -> background,
  foreground = 1 - bg");
* then binary ``closing``, ``opening``, ``erosion`` and ``dilation`` with square structuring
  elements of the given sides, and the cut to ``region``.

With ``work_size`` all of it runs on the image resized to ``work_size`` x ``work_size`` (the
official SLSG code thresholds its 256 x 256 training images, and its kernel sides are in those
pixels); the mask is resized back to the image (nearest neighbour).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from tqdm import tqdm

from synthad.config import MaskSetting
from synthad.errors import DataError
from synthad.utils.images import read_image, write_image
from synthad.utils.io import atomic_dir

# skimage.filters is imported where a threshold is computed: it pulls in scipy.ndimage (0.3-0.5 s),
# which every training job paid for through the data loader's import of mask_file_for.
_THRESHOLDS = ("otsu", "triangle")


def _plane(image: np.ndarray, channel: str | int) -> np.ndarray:
    """The uint8 ``(H, W)`` plane to threshold: grey (OpenCV luma) or one RGB channel."""
    if channel == "gray":
        return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return np.ascontiguousarray(image[:, :, int(channel)])


def _morph(mask: np.ndarray, op: int, side: int) -> np.ndarray:
    """Binary closing/opening/erosion/dilation with a ``side`` x ``side`` square (no-op for side < 2)."""
    if side < 2:
        return mask
    kernel = np.ones((side, side), np.uint8)
    # Pad so that closing does not erode the object where it touches the image border.
    pad = side
    padded = cv2.copyMakeBorder(mask.astype(np.uint8), pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    return cv2.morphologyEx(padded, op, kernel)[pad:-pad, pad:-pad] > 0


def foreground_mask(image: np.ndarray, setting: MaskSetting) -> np.ndarray:
    """Foreground of one image.

    Args:
        image: RGB uint8 ``(H, W, 3)``.
        setting: How to threshold and clean up (see the module docstring).

    Returns:
        Bool ``(H, W)``, True on the object.

    Raises:
        ValueError: ``image`` is not ``(H, W, 3)`` uint8, or the setting's method is unknown.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"foreground_mask expects RGB uint8 (H, W, 3), got {image.dtype} {image.shape}")
    if setting.method not in (*_THRESHOLDS, "fixed", "whole"):
        raise ValueError(f"unknown foreground mask method {setting.method!r}")
    work = image
    if setting.work_size:  # area averaging: the anti-aliased down-sizing of the official loader
        work = cv2.resize(image, (setting.work_size, setting.work_size), interpolation=cv2.INTER_AREA)
    mask = _threshold(_plane(work, setting.channel), setting)
    for op, side in ((cv2.MORPH_CLOSE, setting.closing), (cv2.MORPH_OPEN, setting.opening),
                     (cv2.MORPH_ERODE, setting.erosion), (cv2.MORPH_DILATE, setting.dilation)):
        mask = _morph(mask, op, side)
    mask = _cut_to_region(mask, setting.region)
    if mask.shape != image.shape[:2]:
        mask = cv2.resize(mask.astype(np.uint8), image.shape[1::-1], interpolation=cv2.INTER_NEAREST) > 0
    return mask


def _threshold(plane: np.ndarray, setting: MaskSetting) -> np.ndarray:
    """The thresholded ``(H, W)`` plane as a bool foreground, before any morphology."""
    if setting.method == "whole":
        return np.ones(plane.shape, bool)
    if setting.method == "fixed":
        bright = plane > setting.threshold
    elif plane.min() == plane.max():  # a flat image has no threshold; call it all foreground
        return np.ones(plane.shape, bool)
    else:
        from skimage import filters

        bright = plane > getattr(filters, f"threshold_{setting.method}")(plane)
    return ~bright if setting.invert else bright


def _cut_to_region(mask: np.ndarray, region: list[float]) -> np.ndarray:
    """``mask`` with everything outside the ``[top, left, bottom, right]`` fraction box cleared."""
    height, width = mask.shape
    top, left, bottom, right = region
    keep = np.zeros_like(mask)
    rows = slice(round(top * height), round(bottom * height))
    cols = slice(round(left * width), round(right * width))
    keep[rows, cols] = mask[rows, cols]
    return keep


def mask_file_for(mask_dir: str | Path, image_path: str | Path) -> Path:
    """Where the foreground mask of ``image_path`` lives inside ``mask_dir``.

    The last three path components are kept (``.../washer/train/good/000.png`` ->
    ``<mask_dir>/train/good/000.png``), which is unique in the MVTec layout (split / defect type /
    file) and readable; the suffix is always ``.png``.

    Args:
        mask_dir: Folder of one category's masks (``data/masks/<dataset>/<category>``).
        image_path: Image path as written in the index.

    Returns:
        The mask file path.
    """
    parts = Path(image_path).parts[-3:]
    return Path(mask_dir).joinpath(*parts).with_suffix(".png")


def write_masks(index: pd.DataFrame, setting: MaskSetting, out_dir: str | Path,
                progress: bool = True) -> int:
    """Compute and write the foreground mask (0/255 PNG) of every image of an index.

    The folder is replaced as a whole only when every mask was written.

    Args:
        index: Index rows (column ``path``), train and test.
        setting: The category's mask setting.
        out_dir: Destination folder; mask files follow :func:`mask_file_for`.
        progress: Show a progress bar.

    Returns:
        Number of masks written.

    Raises:
        DataError: An image cannot be read, or two images map to the same mask file.
    """
    out_dir = Path(out_dir)
    paths = [str(p) for p in index["path"]]
    targets = [mask_file_for(".", p) for p in paths]
    if len(set(targets)) != len(targets):
        raise DataError(f"{out_dir}: two images of the index map to the same mask file name")
    with atomic_dir(out_dir) as tmp:
        for path, target in tqdm(list(zip(paths, targets, strict=True)), desc="masks", disable=not progress):
            mask = foreground_mask(read_image(path), setting)
            write_image(tmp / target, mask.astype(np.uint8) * 255)
    return len(paths)
