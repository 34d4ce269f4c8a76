"""Large-kernel depth-wise convolution with small-kernel re-parameterisation (RepLKNet, Ding et al. 2022).

RepLKNet ("Scaling up your kernels to 31x31", CVPR 2022) trains a large depth-wise kernel ``K x K``
together with a parallel small depth-wise kernel ``k x k`` (each followed by BatchNorm) and sums the
two branches; the small kernel eases optimisation. For inference both are folded into one ``K x K``
convolution with bias: each BatchNorm is fused into its convolution (``w' = w * gamma / std``,
``b' = beta - mean * gamma / std``) and the small kernel is zero-padded to ``K x K`` and added to
the large one. In eval mode the merged convolution computes the same function (up to rounding).

The RepLKNet building blocks used by DMP's defect-prediction encoder live here as well:
:class:`RepLKBlock` (BN, 1x1, large depth-wise conv, ReLU, 1x1, residual), :class:`ConvFFN`
(BN, 1x1 expand, GELU, 1x1, residual) and :func:`conv_bn` / :func:`conv_bn_relu`, following the
official RepLKNet code's layout.

Large-kernel *attention* (LKA, Guo et al., "Visual Attention Network", 2022) gets a large receptive
field another way: a small depth-wise conv, a depth-wise *dilated* conv and a 1x1 conv make a map
that gates the input element-wise (:class:`LargeKernelAttention`); SLSG's official code puts it,
with a residual 1x1 projection (:class:`LKABlock`), on the encoder's skip connections.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def conv_bn(cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1) -> nn.Sequential:
    """Conv (no bias, 'same' padding) + BatchNorm: ``(B, cin, H, W) -> (B, cout, H/stride, W/stride)``."""
    seq = nn.Sequential()
    seq.add_module("conv", nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False))
    seq.add_module("bn", nn.BatchNorm2d(cout))
    return seq


def conv_bn_relu(cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1) -> nn.Sequential:
    """:func:`conv_bn` followed by ReLU."""
    seq = conv_bn(cin, cout, kernel, stride, groups)
    seq.add_module("relu", nn.ReLU(inplace=True))
    return seq


def fuse_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """Fold an eval-mode BatchNorm into the preceding bias-free convolution.

    Returns:
        ``(weight (Cout, Cin/groups, k, k), bias (Cout,))`` with ``bn(conv(x)) == conv'(x)``.
    """
    std = (bn.running_var + bn.eps).sqrt()
    scale = bn.weight / std
    return conv.weight * scale.reshape(-1, 1, 1, 1), bn.bias - bn.running_mean * scale


class ReparamLargeKernelConv(nn.Module):
    """Depth-wise ``K x K`` conv + BN, plus a parallel depth-wise ``k x k`` conv + BN (train time).

    Args:
        channels: Input = output channels (depth-wise: one filter per channel).
        kernel_size: ``K``, odd (RepLKNet-31B: 31, 29, 27, 13 per stage).
        small_kernel: ``k``, odd and ``<= K`` (RepLKNet: 5); ``None`` = no small branch.
        stride: Stride of both branches.

    Raises:
        ValueError: Even kernels, or ``k > K`` (the small kernel could not be padded into the large).
    """

    def __init__(self, channels: int, kernel_size: int, small_kernel: int | None = 5, stride: int = 1):
        super().__init__()
        bad_small = small_kernel is not None and (small_kernel % 2 == 0 or small_kernel > kernel_size)
        if kernel_size % 2 == 0 or bad_small:
            raise ValueError(f"need odd kernels with small <= large, got {kernel_size} and {small_kernel}")
        self.kernel_size, self.small_kernel, self.stride = kernel_size, small_kernel, stride
        self.large = conv_bn(channels, channels, kernel_size, stride, groups=channels)
        self.small = None
        if small_kernel is not None:
            self.small = conv_bn(channels, channels, small_kernel, stride, groups=channels)
        self.merged: nn.Conv2d | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W) -> (B, C, H/stride, W/stride)``: sum of both branches, or the merged conv."""
        if self.merged is not None:
            return self.merged(x)
        out = self.large(x)
        return out + self.small(x) if self.small is not None else out

    @torch.no_grad()
    def merged_kernel(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The equivalent single ``K x K`` kernel ``(C, 1, K, K)`` and bias ``(C,)`` (eval-mode BN)."""
        weight, bias = fuse_bn(self.large.conv, self.large.bn)
        if self.small is not None:
            w_small, b_small = fuse_bn(self.small.conv, self.small.bn)
            pad = (self.kernel_size - self.small_kernel) // 2
            weight = weight + F.pad(w_small, [pad] * 4)  # centred: same receptive-field alignment
            bias = bias + b_small
        return weight, bias

    @torch.no_grad()
    def merge(self) -> None:
        """Replace both branches by one ``K x K`` depth-wise conv with bias (for inference only)."""
        if self.merged is not None:
            return
        weight, bias = self.merged_kernel()
        c = weight.shape[0]
        conv = nn.Conv2d(c, c, self.kernel_size, self.stride, self.kernel_size // 2, groups=c, bias=True)
        conv.weight.copy_(weight)
        conv.bias.copy_(bias)
        self.merged = conv.to(weight.device)
        self.large, self.small = None, None  # the branches are gone: merging is one-way


def merge_reparam(module: nn.Module) -> nn.Module:
    """Merge every :class:`ReparamLargeKernelConv` inside ``module`` in place; returns ``module``."""
    for m in list(module.modules()):
        if isinstance(m, ReparamLargeKernelConv):
            m.merge()
    return module


class RepLKBlock(nn.Module):
    """RepLKNet block: ``x + pw2(ReLU(LK(pw1(BN(x)))))`` (official ``RepLKBlock``, drop path 0).

    Args:
        channels: Input = output channels.
        dw_channels: Width of the depth-wise part (RepLKNet: ``dw_ratio 1`` -> ``channels``).
        kernel_size: Large kernel ``K``.
        small_kernel: Parallel small kernel ``k`` (5).
    """

    def __init__(self, channels: int, dw_channels: int, kernel_size: int, small_kernel: int | None = 5):
        super().__init__()
        self.pre_bn = nn.BatchNorm2d(channels)
        self.pw1 = conv_bn_relu(channels, dw_channels, 1)
        self.large_kernel = ReparamLargeKernelConv(dw_channels, kernel_size, small_kernel)
        self.act = nn.ReLU(inplace=True)
        self.pw2 = conv_bn(dw_channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W) -> (B, C, H, W)``."""
        return x + self.pw2(self.act(self.large_kernel(self.pw1(self.pre_bn(x)))))


class ConvFFN(nn.Module):
    """RepLKNet's convolutional feed-forward block: ``x + pw2(GELU(pw1(BN(x))))``.

    Args:
        channels: Input = output channels.
        hidden: Expanded width (RepLKNet: ``ffn_ratio 4`` x ``channels``).
    """

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.pre_bn = nn.BatchNorm2d(channels)
        self.pw1 = conv_bn(channels, hidden, 1)
        self.act = nn.GELU()
        self.pw2 = conv_bn(hidden, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W) -> (B, C, H, W)``."""
        return x + self.pw2(self.act(self.pw1(self.pre_bn(x))))


class LargeKernelAttention(nn.Module):
    """LKA: ``x * pw(dw_dilated(dw(x)))``, all convolutions with bias, 'same' padding.

    The receptive field is ``local + (kernel - 1) * dilation`` pixels per side: VAN's 5, 7, 3 give
    23 (its "21 x 21" decomposition), SLSG's code 3, 3, 3 gives 9.

    Args:
        channels: Input = output channels (both depth-wise convolutions: one filter per channel).
        local: Side of the first depth-wise convolution.
        kernel_size: Side of the dilated depth-wise convolution, odd.
        dilation: Its dilation.
    """

    def __init__(self, channels: int, local: int = 5, kernel_size: int = 7, dilation: int = 3):
        super().__init__()
        if local % 2 == 0 or kernel_size % 2 == 0:
            raise ValueError(f"LKA needs odd kernels, got {local} and {kernel_size}")
        self.local = nn.Conv2d(channels, channels, local, padding=local // 2, groups=channels)
        self.dilated = nn.Conv2d(channels, channels, kernel_size, padding=(kernel_size - 1) * dilation // 2,
                                 dilation=dilation, groups=channels)
        self.pointwise = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W) -> (B, C, H, W)``: ``x`` gated by the attention map."""
        return x * self.pointwise(self.dilated(self.local(x)))


class LKABlock(nn.Module):
    """Residual LKA as SLSG's official code uses it (its ``SpatialAttention``): ``x + pw(ReLU(LKA(x)))``.

    VAN's own block has a 1x1 projection and GELU *before* the LKA as well; SLSG's code defines
    that projection but never calls it, so it is left out here.

    Args:
        channels: Input = output channels.
        local, kernel_size, dilation: Of the :class:`LargeKernelAttention` (SLSG's code: 3, 3, 3).
    """

    def __init__(self, channels: int, local: int = 3, kernel_size: int = 3, dilation: int = 3):
        super().__init__()
        self.attention = LargeKernelAttention(channels, local, kernel_size, dilation)
        self.act = nn.ReLU()
        self.proj = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W) -> (B, C, H, W)``."""
        return x + self.proj(self.act(self.attention(x)))
