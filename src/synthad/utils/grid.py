"""A captioned image grid saved as PNG: the one plotting helper behind every contact sheet."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from synthad.utils.io import atomic_path  # noqa: E402


def save_image_grid(images: list[np.ndarray], titles: list[str], out: str | Path, columns: int,
                    heading: str = "", outlines: list[np.ndarray | None] | None = None,
                    outline_colour: str = "red", panel_inches: float = 2.2) -> Path:
    """Save images in a grid, row by row, each with a caption and optionally an outlined mask.

    Args:
        images: RGB ``(H, W, 3)`` uint8 or float in ``[0, 1]``, or grey ``(H, W)`` (shown in grey).
        titles: One caption per image.
        out: PNG path, written atomically.
        columns: Images per row.
        heading: Figure title.
        outlines: Optional ``(H, W)`` masks whose boundary is drawn on the matching image.
        outline_colour: Matplotlib colour of those boundaries.
        panel_inches: Width of one panel in the figure.

    Returns:
        ``out`` as a Path.

    Raises:
        ValueError: Empty input or lists of different lengths.
    """
    outlines = outlines or [None] * len(images)
    if not images or not (len(images) == len(titles) == len(outlines)):
        raise ValueError("save_image_grid needs as many titles (and outlines) as images, at least one")
    columns = max(1, min(columns, len(images)))
    rows = -(-len(images) // columns)
    size = (panel_inches * columns, (panel_inches + 0.2) * rows + 0.4)
    fig, axes = plt.subplots(rows, columns, figsize=size, squeeze=False, layout="constrained")
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, title, outline in zip(axes.flat, images, titles, outlines, strict=False):
        grey = image.ndim == 2
        ax.imshow(image, cmap="gray" if grey else None, vmin=0, vmax=1 if image.dtype != np.uint8 else 255)
        if outline is not None and outline.any() and not outline.all():
            ax.contour(outline.astype(np.float32), levels=[0.5], colors=outline_colour, linewidths=0.6)
        ax.set_title(title, fontsize=7)
    if heading:
        fig.suptitle(heading, fontsize=9)
    out = Path(out)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=80)
    plt.close(fig)
    return out
