"""Locally aware patch features (PatchCore Sec. 3.1): neighbourhood-averaged, multi-level, pooled.

Every feature of a level is averaged over its ``p x p`` neighbourhood (the paper's ``f_agg``,
zero padding as the official unfold), each level is average-pooled over the channel axis to
``pretrain_embed_dim``, the deeper levels are bilinearly up-sampled to the finest level's grid,
and the concatenation is average-pooled to ``target_embed_dim``. Channel pooling and bilinear
up-sampling are both linear on different axes, so pooling first (cheaper) gives the same result.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from synthad.methods.inference import resize
from synthad.methods.patchcore.config import Config
from synthad.nn.backbones import FeatureTaps


def pool_channels(x: torch.Tensor, dim: int) -> torch.Tensor:
    """Adaptive average pooling over the channel axis (the official ``MeanMapper`` / ``Aggregator``).

    Args:
        x: ``(B, C, h, w)``.
        dim: Output channels (fewer than ``C``: means of neighbouring channels; more: repeats).

    Returns:
        ``(B, dim, h, w)``.
    """
    b, c, h, w = x.shape
    if c == dim:
        return x
    flat = x.permute(0, 2, 3, 1).reshape(b * h * w, 1, c)
    return F.adaptive_avg_pool1d(flat, dim).reshape(b, h, w, dim).permute(0, 3, 1, 2)


def aggregate(levels: list[torch.Tensor], neighbourhood: int, pretrain_dim: int,
              target_dim: int) -> torch.Tensor:
    """Backbone maps -> locally aware patch features on the finest level's grid.

    Args:
        levels: ``[(B, C_i, h_i, w_i)]``, finest first.
        neighbourhood: Odd side ``p`` of the local average.
        pretrain_dim: Channels per level after the first pooling.
        target_dim: Channels of the result.

    Returns:
        ``(B, target_dim, h_0, w_0)``.
    """
    grid = tuple(levels[0].shape[-2:])
    pooled = []
    for feats in levels:
        local = F.avg_pool2d(feats, neighbourhood, stride=1, padding=neighbourhood // 2)
        pooled.append(resize(pool_channels(local, pretrain_dim), grid))
    return pool_channels(torch.cat(pooled, dim=1), target_dim)


class PatchFeatures(nn.Module):
    """Frozen backbone taps + :func:`aggregate`: images -> one feature per stride-``min(strides)`` patch.

    Args:
        config: The method's configuration (backbone, strides, neighbourhood, dims).
    """

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        self.taps = FeatureTaps(config.backbone, config.backbone_weights, config.strides, frozen=True)

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Images ``(B, 3, S, S)`` in ``[0, 1]`` -> features ``(B, target_embed_dim, S / s, S / s)``."""
        cfg = self.config
        return aggregate(self.taps(images), cfg.neighbourhood, cfg.pretrain_embed_dim, cfg.target_embed_dim)
