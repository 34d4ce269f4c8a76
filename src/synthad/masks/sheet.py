"""A contact sheet: a few images with their foreground mask outlined, to check a mask setting by eye."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from synthad.utils.grid import save_image_grid


def contact_sheet(images: list[np.ndarray], masks: list[np.ndarray], titles: list[str],
                  out: str | Path, columns: int = 4, heading: str = "") -> Path:
    """Save a grid of images with the foreground tinted and its outline drawn.

    Args:
        images: RGB uint8 ``(H, W, 3)`` each (sizes may differ).
        masks: Bool ``(H, W)`` foreground of each image.
        titles: One caption per image (e.g. the file name and foreground fraction).
        out: PNG path, written atomically.
        columns: Images per row.
        heading: Figure title (e.g. the dataset/category and the mask setting).

    Returns:
        ``out`` as a Path.

    Raises:
        ValueError: The lists differ in length or are empty.
    """
    if not images or not (len(images) == len(masks) == len(titles)):
        raise ValueError("contact_sheet needs as many masks and titles as images (at least one)")
    shown = []
    for image, mask in zip(images, masks, strict=True):
        dimmed = image.astype(np.float32) / 255
        # Dim the background instead of hiding it, so a missed part of the object stays visible.
        dimmed[~mask] *= 0.35
        shown.append(dimmed)
    return save_image_grid(shown, titles, out, columns, heading, outlines=list(masks),
                           outline_colour="yellow", panel_inches=3.0)
