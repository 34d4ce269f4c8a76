"""Focal loss (Lin et al., ICCV 2017) in the variant DRAEM, RealNet and SLSG use.

DRAEM's ``FocalLoss`` (docs/official-code.md#draem-losses) receives *softmax probabilities* (no
non-linearity inside), ``gamma = 2``, ``alpha = None`` (all ones), clamps the one-hot target to
``[s / (C - 1), 1 - s]`` with ``s = 1e-5``, adds ``s`` to ``p_t`` before the log, and averages over all
pixels::

    loss = mean( -(1 - p_t)^gamma * log(p_t + s) ),  p_t = sum_c onehot_s(c) * p_c
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def focal_loss(probs: torch.Tensor, target: torch.Tensor, gamma: float = 2.0, smooth: float = 1e-5,
               alpha: torch.Tensor | None = None) -> torch.Tensor:
    """Mean focal loss on class probabilities.

    Args:
        probs: Softmax output ``(B, C, H, W)`` (or ``(N, C)``).
        target: Integer-valued class map ``(B, 1, H, W)`` or ``(B, H, W)`` (or ``(N,)``).
        gamma: Focusing parameter.
        smooth: Target clamping and log epsilon.
        alpha: Optional per-class weights ``(C,)``; ``None`` weights all classes 1.

    Returns:
        Scalar loss.
    """
    c = probs.shape[1]
    p = probs.movedim(1, -1).reshape(-1, c)
    idx = target.reshape(-1).long()
    one_hot = F.one_hot(idx, c).to(p.dtype)
    if smooth:
        one_hot = one_hot.clamp(smooth / (c - 1), 1.0 - smooth)
    pt = (one_hot * p).sum(1) + smooth
    weight = alpha.to(p)[idx] if alpha is not None else 1.0
    return (-weight * (1 - pt) ** gamma * pt.log()).mean()


class FocalLoss(nn.Module):
    """Module wrapper of :func:`focal_loss` (DRAEM: ``gamma=2, smooth=1e-5, alpha=None``)."""

    def __init__(self, gamma: float = 2.0, smooth: float = 1e-5):
        super().__init__()
        self.gamma, self.smooth = gamma, smooth

    def forward(self, probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """``probs (B, C, H, W)``, ``target (B, 1, H, W)`` -> scalar."""
        return focal_loss(probs, target, self.gamma, self.smooth)
