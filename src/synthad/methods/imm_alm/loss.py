"""Lv et al.'s losses (CVPRW 2023): ``L_reg`` (Eq. 1), cosine distance (Eq. 4), ``L_map`` (Eqs. 3, 5)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def registration_loss(aligned: torch.Tensor, template: torch.Tensor) -> torch.Tensor:
    """Eq. 1, ``L_reg = ||I_M - I_T||^2 / n``: aligned ``(B, 3, S, S)``, template ``(3, S, S)`` -> scalar."""
    return F.mse_loss(aligned, template.expand_as(aligned))


def cosine_distance(features: torch.Tensor, center: torch.Tensor) -> torch.Tensor:
    """Eq. 4 per position: ``1 - cos(F_M^{ij}, F_C^{ij})``.

    Args:
        features: ``F_M`` ``(B, D, h, w)``.
        center: ``F_C`` ``(D, h, w)`` (feature-map centre) or ``(D, 1, 1)`` (single vector).

    Returns:
        ``(B, h, w)`` in ``[0, 2]``.
    """
    return 1 - F.cosine_similarity(features, center[None].expand_as(features), dim=1, eps=1e-8)


def mapping_loss(features: torch.Tensor, center: torch.Tensor, defect: torch.Tensor | None = None,
                 margin: float = 0.1, balanced: bool = False) -> tuple[torch.Tensor, dict[str, float]]:
    """``L_map``: Eq. 3 without ``defect``, Eq. 5 (outlier exposure with margin ``delta``) with it.

    Normal cells are pulled to their centre (``0.5 dist``); defective cells are pushed until
    ``0.5 dist >= margin`` and then contribute nothing (``max(0, delta - 0.5 dist)``).

    Args:
        features: ``F_M`` ``(B, D, h, w)``.
        center: ``F_C`` ``(D, h, w)`` or ``(D, 1, 1)``.
        defect: ``M_s`` ``(B, h, w)`` in ``{0, 1}``, or ``None`` (all normal).
        margin: ``delta`` (0.1 in the paper).
        balanced: Average each term over its own cells (normal cells, defective cells) instead of
            over all cells (the paper's ``1 / (wh)``), so small defects are not outweighed ~50:1.

    Returns:
        ``(loss, logged terms)``: by default the mean over all ``B h w`` cells (``1 / (wh) sum``).
    """
    half = 0.5 * cosine_distance(features, center)
    if defect is None:
        loss = half.mean()
        return loss, {"normal": loss.item(), "defect": 0.0}
    normal_term = (1 - defect) * half
    defect_term = defect * torch.clamp(margin - half, min=0)
    if balanced:
        normal_mean = normal_term.sum() / (1 - defect).sum().clamp(min=1)
        defect_mean = defect_term.sum() / defect.sum().clamp(min=1)
        return normal_mean + defect_mean, {"normal": normal_mean.item(), "defect": defect_mean.item()}
    loss = (normal_term + defect_term).mean()
    return loss, {"normal": normal_term.mean().item(), "defect": defect_term.mean().item()}
