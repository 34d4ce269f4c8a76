"""GPT-Net's input masks (Yang, Liu et al., Sec. 3.1 and 4.2): grid mask plus a large random mask.

The image is divided into ``S x S`` equal cells (``S = 8``) and ``round(p * S^2)`` of them
(``p = 0.8``) are masked; on top, a rectangle with sides drawn in ``[40, 150]`` px at 256 px (scaled
with the image size) is masked at a random position. Masked pixels are set to 0 *after* ImageNet
standardisation, i.e. to the ImageNet mean colour (our choice; the paper does not say the fill).
"""

from __future__ import annotations

import numpy as np
import torch


def grid_mask(size: int, cells: int, ratio: float, rng: np.random.Generator) -> np.ndarray:
    """Mask ``round(ratio * cells^2)`` random cells of a ``cells x cells`` grid.

    Args:
        size: Image side; the last cell absorbs the remainder when ``cells`` does not divide it.
        cells: Cells per side ``S``.
        ratio: Fraction ``p`` of cells masked.
        rng: Random generator.

    Returns:
        ``(size, size)`` float32, 1 where masked.
    """
    n = cells * cells
    chosen = np.zeros(n, np.float32)
    chosen[rng.choice(n, size=round(ratio * n), replace=False)] = 1.0
    edges = np.linspace(0, size, cells + 1).round().astype(int)
    cell_of = np.searchsorted(edges, np.arange(size), side="right") - 1  # pixel -> cell index per axis
    return chosen.reshape(cells, cells)[cell_of[:, None], cell_of[None, :]]


def large_mask(size: int, side_range: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """One rectangle with height and width uniform in ``side_range`` (inclusive) at a random position.

    Returns:
        ``(size, size)`` float32, 1 inside the rectangle (sides clipped to ``size``).
    """
    h, w = (min(size, int(rng.integers(side_range[0], side_range[1] + 1))) for _ in range(2))
    top, left = int(rng.integers(0, size - h + 1)), int(rng.integers(0, size - w + 1))
    mask = np.zeros((size, size), np.float32)
    mask[top:top + h, left:left + w] = 1.0
    return mask


def gptnet_masks(batch: int, size: int, cells: int, ratio: float, side_range: tuple[int, int] | None,
                 rng: np.random.Generator) -> torch.Tensor:
    """Grid masks, each united with a large mask unless ``side_range`` is ``None``.

    Returns:
        ``(batch, 1, size, size)`` float tensor, 1 where masked.
    """
    masks = []
    for _ in range(batch):
        mask = grid_mask(size, cells, ratio, rng)
        if side_range is not None:
            mask = np.maximum(mask, large_mask(size, side_range, rng))
        masks.append(mask)
    return torch.from_numpy(np.stack(masks))[:, None]


def apply_mask(normalized: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``x_m``: standardised images ``(B, 3, H, W)``, pixels where ``mask (B, 1, H, W)`` is 1 set to 0."""
    return normalized * (1 - mask)
