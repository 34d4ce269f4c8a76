"""Reconstruction Residual Selection (RRS, Zhang et al. Sec. 3.3 and App. B; official ``models/rrs``).

The squared reconstruction residuals of all blocks are up-sampled (bilinear, ``align_corners=True``
as the official ``nn.UpsamplingBilinear2d``) to the finest stride
and concatenated into ``R`` ``(B, C, H, W)`` (1536 channels by default). A non-affine BatchNorm
puts the channels, which come from different networks, on one scale *for ranking only*; per
sample the ``K_max`` channels with the largest spatial maximum and the ``K_avg`` with the largest
spatial mean are then gathered from the *un-normalised* ``R`` in rank order (the two sets may
overlap, as in the official code). Modes (the paper's Fig. 5): ``max_avg`` (default), ``max``,
``avg``, and ``none`` (no selection: all of ``R``; Table 5a "w/o RRS").
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

RRSMode = Literal["max_avg", "max", "avg", "none"]


def merge_residuals(residuals: list[torch.Tensor]) -> torch.Tensor:
    """Block residuals ``[(B, C_l, h_l, w_l)]`` -> ``(B, sum C_l, h_0, w_0)`` at the first (finest) size.

    Bilinear with ``align_corners=True``: the official ``nn.UpsamplingBilinear2d`` (corner pixels map
    onto corner pixels).
    """
    size = residuals[0].shape[-2:]
    up = [r if r.shape[-2:] == size else F.interpolate(r, size=size, mode="bilinear", align_corners=True)
          for r in residuals]
    return torch.cat(up, dim=1)


def kept_per_mode(channels: int, mode: RRSMode, retention: float) -> list[int]:
    """Channels each ranking keeps: retention ``a = (K_max + K_avg) / C`` split evenly in ``max_avg``.

    Default: ``C = 1536``, ``a = 1/3`` -> ``[256, 256]``.
    """
    if mode == "none":
        return []
    total = max(1, round(retention * channels))
    if mode == "max_avg":
        return [max(1, total // 2), max(1, total - total // 2)]
    return [min(total, channels)]


class ResidualSelection(nn.Module):
    """RRS over a merged residual ``(B, C, H, W)`` -> ``(B, K, H, W)``.

    Args:
        channels: ``C``.
        mode: ``"max_avg"``, ``"max"``, ``"avg"`` or ``"none"``.
        retention: ``(K_max + K_avg) / C`` (1/3: 512 of 1536).
    """

    def __init__(self, channels: int, mode: RRSMode = "max_avg", retention: float = 1 / 3):
        super().__init__()
        self.mode, self.ks = mode, kept_per_mode(channels, mode, retention)
        self.out_channels = sum(self.ks) if self.ks else channels
        # Official: BatchNorm2d(C, momentum=0.9, affine=False); ranking only, never fed forward.
        self.norm = nn.BatchNorm2d(channels, momentum=0.9, affine=False)

    def forward(self, residual: torch.Tensor) -> torch.Tensor:
        """Merged residual ``(B, C, H, W)`` -> selected ``(B, K, H, W)`` (gradients flow to the values)."""
        if self.mode == "none":
            return residual
        ranked = self.norm(residual)
        stats = {"max": ranked.amax(dim=(2, 3)), "avg": ranked.mean(dim=(2, 3))}
        names = ["max", "avg"] if self.mode == "max_avg" else [self.mode]
        parts = []
        for name, k in zip(names, self.ks, strict=True):
            index = stats[name].topk(k, dim=1).indices  # (B, k), in rank order
            parts.append(gather_channels(residual, index))
        return torch.cat(parts, dim=1)


def gather_channels(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Per-sample channels: ``x (B, C, H, W)``, ``index (B, k)`` -> ``(B, k, H, W)``."""
    return torch.gather(x, 1, index[:, :, None, None].expand(-1, -1, *x.shape[-2:]))
