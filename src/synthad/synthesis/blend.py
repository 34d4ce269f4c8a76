"""Blending an anomaly source into an image inside a mask.

DRAEM (ICCV 2021, Eq. 1 of the paper; docs/official-code.md#draem-synthesis) writes
``I_a = (1 - M) * I + (1 - beta) * (M * A) + beta * (M * I)`` with ``beta ~ U(0, 0.8)``. With
``opacity = 1 - beta`` this is the general form used by RealNet and DMP::

    out = (1 - M) * I + opacity * M * A + (1 - opacity) * M * I
"""

from __future__ import annotations

import numpy as np
import torch


def blend(image, source, mask, opacity):
    """Paste ``source`` into ``image`` where ``mask`` is set, with the given opacity.

    Works on NumPy arrays ``(H, W, 3)`` with a mask ``(H, W)`` or ``(H, W, 1)``, and on batched torch
    tensors ``(B, 3, H, W)`` with a mask ``(B, 1, H, W)`` and an opacity that is a number or ``(B,)``.
    Soft masks in ``[0, 1]`` blend proportionally.

    Args:
        image: Normal image ``I``.
        source: Anomaly source ``A``, same shape as ``image``.
        mask: Anomaly mask ``M``.
        opacity: ``1 - beta`` of DRAEM; 1 pastes the source fully, 0 leaves the image unchanged.

    Returns:
        The blended image, same type and shape as ``image``.
    """
    if isinstance(image, torch.Tensor):
        if isinstance(opacity, torch.Tensor) and opacity.ndim == 1:
            opacity = opacity.view(-1, 1, 1, 1)
        if mask.ndim == image.ndim - 1:
            mask = mask.unsqueeze(1)
    else:
        mask = np.asarray(mask)
        if mask.ndim == image.ndim - 1:
            mask = mask[..., None]
    return (1 - mask) * image + opacity * mask * source + (1 - opacity) * mask * image
