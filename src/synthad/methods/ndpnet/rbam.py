"""NDP-Net's reference-based attention module, RBAM (Luo, Yao, Yu, Sec. III-C, Fig. 3, Eqs. 3-8).

* :func:`rbfrm` -- the reference-based feature repair module (RBFRM, Eqs. 3-5): the defective feature
  map and the feature map of the fixed reference defect-free image are cut into non-overlapping
  ``K x K`` patches; every defective patch is replaced by the softmax(cosine-similarity)-weighted sum
  of *all* reference patches, so each repaired patch is a convex combination of reference patches.
* :class:`FeatureFusion` -- the feature fusion module (FFM, Eqs. 6-8), SKNet-style: the element-wise
  sum of ``F_ad`` and the repaired maps is compressed by an ``m x m`` conv to 64 channels, three
  ``m x m`` convs give one attention logit per branch, channel and pixel; a softmax across the
  branches weighs the branches.
* :class:`RBAM` -- RBFRM at ``K = 2`` and ``K = 4`` followed by the FFM, for one encoder layer.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _patches(x: torch.Tensor, k: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """``(B, C, H, W)`` -> non-overlapping patches ``(B, C*k*k, N)`` and the padded size.

    Maps whose side is not a multiple of ``k`` are zero-padded at the bottom/right (only happens at
    resolutions where the deepest map is smaller than or not divisible by ``k``).
    """
    h, w = x.shape[-2:]
    hp, wp = -(-h // k) * k, -(-w // k) * k
    if (hp, wp) != (h, w):
        x = F.pad(x, (0, wp - w, 0, hp - h))
    return F.unfold(x, k, stride=k), (hp, wp)


def rbfrm_weights(x: torch.Tensor, ref: torch.Tensor, k: int, scale: float = 1.0) -> torch.Tensor:
    """Normalised similarity ``S_bar`` of Eqs. 3-4 between defective and reference patches.

    Args:
        x: Defective feature map ``F_ad`` ``(B, C, H, W)``.
        ref: Reference feature map ``F_ref`` ``(1, C, H, W)`` (shared by the batch) or ``(B, C, H, W)``.
        k: Patch size ``K``.
        scale: Multiplies the cosine similarity before the softmax (Eq. 4 as written: 1).

    Returns:
        ``(B, N, N)``: row ``i`` holds the softmax weights of defective patch ``i`` over the ``N``
        reference patches (non-negative, summing to 1).
    """
    p, _ = _patches(x, k)
    b, _ = _patches(ref, k)
    sim = torch.einsum("bdn,bdm->bnm", F.normalize(p, dim=1, eps=1e-8),
                       F.normalize(b, dim=1, eps=1e-8).expand(p.shape[0], -1, -1))  # Eq. 3
    return torch.softmax(scale * sim, dim=-1)  # Eq. 4


def rbfrm(x: torch.Tensor, ref: torch.Tensor, k: int, scale: float = 1.0) -> torch.Tensor:
    """Repair ``x`` with patches of ``ref`` (Eqs. 3-5) and recompose the patches into a map.

    Args:
        x: Defective feature map ``(B, C, H, W)``.
        ref: Reference feature map ``(1, C, H, W)`` or ``(B, C, H, W)``.
        k: Patch size ``K``.
        scale: Softmax scale, see :func:`rbfrm_weights`.

    Returns:
        ``F_rep`` ``(B, C, H, W)``: patch ``i`` is ``sum_j S_bar[i, j] * b_j`` (Eq. 5).
    """
    h, w = x.shape[-2:]
    weights = rbfrm_weights(x, ref, k, scale)
    b, size = _patches(ref, k)
    repaired = torch.einsum("bnm,bdm->bdn", weights, b.expand(x.shape[0], -1, -1))  # Eq. 5
    return F.fold(repaired, size, k, stride=k)[..., :h, :w]


class FeatureFusion(nn.Module):
    """FFM (Eqs. 6-8): per-branch, per-channel, per-pixel softmax attention over the branches.

    Args:
        channels: Channels ``C`` of the fused maps.
        hidden: Channels after the compressing conv (paper: 64).
        m: Kernel side of the compressing and attention convs (paper: 5, larger than the largest K).
        branches: Number of fused maps (paper: 3 = ``F_rep4, F_rep2, F_ad``).
    """

    def __init__(self, channels: int, hidden: int = 64, m: int = 5, branches: int = 3):
        super().__init__()
        self.squeeze = nn.Sequential(nn.Conv2d(channels, hidden, m, padding=m // 2),
                                     nn.BatchNorm2d(hidden), nn.ReLU(inplace=True))
        self.attention = nn.ModuleList(nn.Conv2d(hidden, channels, m, padding=m // 2)
                                       for _ in range(branches))

    def attention_maps(self, maps: list[torch.Tensor]) -> torch.Tensor:
        """Normalised attention ``A_bar`` (Eq. 7): ``(B, branches, C, H, W)``, summing to 1 over branches."""
        fused = torch.stack(maps).sum(0)  # Eq. 6: F_U
        z = self.squeeze(fused)
        return torch.softmax(torch.stack([conv(z) for conv in self.attention], dim=1), dim=1)

    def forward(self, maps: list[torch.Tensor]) -> torch.Tensor:
        """Fuse ``maps`` (each ``(B, C, H, W)``) -> ``F_out`` ``(B, C, H, W)`` (Eq. 8)."""
        attn = self.attention_maps(maps)
        return (attn * torch.stack(maps, dim=1)).sum(1)


class RBAM(nn.Module):
    """RBFRM at each patch size followed by the FFM, for one encoder layer (Fig. 3a).

    Args:
        channels: Channels of the encoder layer.
        patch_sizes: ``K`` values (paper: 2 and 4).
        hidden: FFM compressed channels (paper: 64).
        m: FFM kernel side (paper: 5).
        scale: Softmax scale of the RBFRM (paper: 1).
    """

    def __init__(self, channels: int, patch_sizes: tuple[int, ...] = (2, 4), hidden: int = 64, m: int = 5,
                 scale: float = 1.0):
        super().__init__()
        self.patch_sizes, self.scale = tuple(patch_sizes), scale
        self.ffm = FeatureFusion(channels, hidden, m, len(self.patch_sizes) + 1)

    def forward(self, f_ad: torch.Tensor, f_ref: torch.Tensor) -> torch.Tensor:
        """``F_ad (B, C, H, W)``, ``F_ref (1, C, H, W)`` -> repaired ``F_out (B, C, H, W)``."""
        repaired = [rbfrm(f_ad, f_ref, k, self.scale) for k in reversed(self.patch_sizes)]  # F_rep4, F_rep2
        return self.ffm([*repaired, f_ad])
