"""A contact sheet: a few images with their foreground mask outlined, to check a mask setting by eye."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from synthad.utils.io import atomic_path  # noqa: E402


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
    columns = max(1, min(columns, len(images)))
    rows = -(-len(images) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3 * columns, 3.2 * rows + 0.4), squeeze=False,
                             layout="constrained")
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, mask, title in zip(axes.flat, images, masks, titles, strict=False):
        shown = image.astype(np.float32) / 255
        # Dim the background instead of hiding it, so a missed part of the object stays visible.
        shown[~mask] *= 0.35
        ax.imshow(shown)
        if mask.any() and not mask.all():
            ax.contour(mask.astype(np.float32), levels=[0.5], colors="yellow", linewidths=0.8)
        ax.set_title(title, fontsize=8)
    if heading:
        fig.suptitle(heading, fontsize=9)
    out = Path(out)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=80)
    plt.close(fig)
    return out
