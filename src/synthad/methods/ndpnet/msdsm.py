"""NDP-Net's multi-scale defect segmentation module, MSDSM (Luo, Yao, Yu, Sec. III-D, Fig. 6, Eqs. 10-11).

The input image and its reconstruction are re-fed to the (frozen) encoder; the features of the first
three layers are concatenated per layer (``C_F1..3``) and each goes through its own small
segmentation sub-network ``DSM_i`` that predicts 2-class logits at that layer's resolution (``AM_i``).
The final map is ``AM_final = 0.2 AM_1 + 0.2 g(AM_2) + 0.6 g(AM_3)`` (``g``: bilinear up-sampling to
the input size), smoothed by 5x5 mean and median filters; its maximum is the image score.

Also here: the ablation maps of Table VI that replace the MSDSM (pixel gap, SSIM).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from synthad.nn import ssim_map


def _conv_bn_relu(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class DSM(nn.Module):
    """One scale's segmentation sub-network: ``(Conv3x3-BN-ReLU) x 2`` then a 1x1 conv to 2 logits.

    Args:
        in_channels: Channels of ``C_F_i`` (twice the encoder layer's width).
        width: Hidden channels.
    """

    def __init__(self, in_channels: int, width: int):
        super().__init__()
        self.net = nn.Sequential(*_conv_bn_relu(in_channels, width), *_conv_bn_relu(width, width),
                                 nn.Conv2d(width, 2, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, in_channels, H_i, W_i)`` -> logits ``(B, 2, H_i, W_i)``."""
        return self.net(x)


class MSDSM(nn.Module):
    """Three :class:`DSM` heads on the concatenated features of encoder layers 1-3.

    Args:
        channels: Widths of encoder layers 1-3.
        width: Hidden width of every DSM head.
        weights: ``lambda_1..3`` of Eq. 11 (paper: 0.2, 0.2, 0.6).
    """

    def __init__(self, channels: tuple[int, ...], width: int, weights: tuple[float, ...] = (0.2, 0.2, 0.6)):
        super().__init__()
        if len(weights) != len(channels):
            raise ValueError(f"need one MSDSM weight per scale, got {weights} for {len(channels)} scales")
        self.heads = nn.ModuleList(DSM(2 * c, width) for c in channels)
        self.weights = tuple(float(w) for w in weights)

    def forward(self, feats_in: list[torch.Tensor], feats_rec: list[torch.Tensor]) -> list[torch.Tensor]:
        """Per-scale logits ``AM_i`` ``(B, 2, H_i, W_i)`` from input and reconstruction features."""
        pairs = zip(self.heads, feats_in, feats_rec, strict=True)
        return [head(torch.cat([a, b], dim=1)) for head, a, b in pairs]

    def combine(self, logits: list[torch.Tensor], size: tuple[int, int]) -> torch.Tensor:
        """``AM_final`` (Eq. 11) ``(B, 1, *size)`` from per-scale logits (anomaly-class softmax)."""
        return combine_maps([torch.softmax(x, dim=1)[:, 1:] for x in logits], self.weights, size)


def combine_maps(maps: list[torch.Tensor], weights: tuple[float, ...], size: tuple[int, int]) -> torch.Tensor:
    """Weighted sum of maps ``(B, 1, H_i, W_i)`` after bilinear up-sampling ``g`` to ``size`` (Eq. 11)."""
    out = 0.0
    for w, m in zip(weights, maps, strict=True):
        if m.shape[-2:] != tuple(size):
            m = F.interpolate(m, size=size, mode="bilinear", align_corners=False)
        out = out + w * m
    return out


def mean_filter(x: torch.Tensor, k: int) -> torch.Tensor:
    """``k x k`` box filter of ``(B, 1, H, W)`` maps, zero padding as DRAEM's score filter (same size)."""
    return F.avg_pool2d(x, k, stride=1, padding=k // 2) if k > 1 else x


def median_filter(x: torch.Tensor, k: int) -> torch.Tensor:
    """``k x k`` median filter of ``(B, 1, H, W)`` maps (reflect padding, odd ``k``; same size)."""
    if k <= 1:
        return x
    h, w = x.shape[-2:]
    padded = F.pad(x, (k // 2,) * 4, mode="reflect")
    windows = F.unfold(padded, k)  # (B, k*k, H*W)
    return windows.median(dim=1).values.view(x.shape[0], 1, h, w)


def smooth(x: torch.Tensor, k: int) -> torch.Tensor:
    """The paper's post-processing of ``AM_final``: ``k x k`` mean filter, then ``k x k`` median filter."""
    return median_filter(mean_filter(x, k), k)


def pixel_gap_map(image: torch.Tensor, rec: torch.Tensor) -> torch.Tensor:
    """Ablation D: per-pixel L2 distance over RGB, ``(B, 3, H, W)`` x 2 -> ``(B, 1, H, W)``."""
    return (image - rec).pow(2).sum(1, keepdim=True).sqrt()


def ssim_anomaly_map(image: torch.Tensor, rec: torch.Tensor) -> torch.Tensor:
    """Ablation F: ``1 - SSIM`` (11x11 Gaussian window), channel mean, ``(B, 1, H, W)``."""
    return 1.0 - ssim_map(image, rec).mean(1, keepdim=True)
