"""DMP's networks (Peng et al. 2024, Sensors, Sec. 3.2-3.3, Figure 2).

* :class:`ReconstructionNetwork`: the autoencoder. DMP builds on DRAEM and gives no layer list, so its
  encoder/decoder are DRAEM's reconstructive sub-network (docs/official-code.md#draem-networks), split
  into an :class:`Encoder` (5 double-conv blocks ``w, 2w, 4w, 8w, 8w``, 4 max-pools) and a decoder so the
  encoder can be copied.
* :class:`DeepFeatureExtractor`: "identical to the encoder part of the autoencoder"; maps an image
  to the encoder's bottleneck features. Its parameters are *copied* from the encoder before each
  training step (no gradient), or trained by gradient in the Table 4 ablation.
* :class:`DefectPredictionNetwork`: a U-Net whose encoder is RepLKNet-style (:class:`RepLKEncoder`):
  four stem layers to ``c0`` channels at ``H/4``, then four stages of large depth-wise kernels
  ``[31, 29, 27, 13]`` with small-kernel re-parameterisation; input ``concat(I_r, I_a)`` (6 channels),
  output 2 logits (normal, defect).

Inputs must have a side divisible by 32 (five halvings in both networks).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from synthad.methods.draem.model import DiscriminativeSubNetwork, double_conv, up_conv
from synthad.nn.large_kernel import ConvFFN, RepLKBlock, conv_bn_relu, merge_reparam


class Encoder(nn.Module):
    """DRAEM's reconstructive encoder: ``(B, 3, H, W) -> (B, 8w, H/16, W/16)``.

    Args:
        base_width: ``w`` (paper, as DRAEM: 128).
        in_channels: Input channels.
    """

    def __init__(self, base_width: int = 128, in_channels: int = 3):
        super().__init__()
        w = base_width
        widths = [in_channels, w, 2 * w, 4 * w, 8 * w, 8 * w]
        self.blocks = nn.ModuleList(double_conv(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True))
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W) -> (B, 8w, H/16, W/16)`` bottleneck features."""
        for i, block in enumerate(self.blocks):
            x = block(self.pool(x) if i else x)
        return x


class Decoder(nn.Module):
    """DRAEM's reconstructive decoder: ``(B, 8w, H/16, W/16) -> (B, 3, H, W)`` (no output activation)."""

    def __init__(self, base_width: int = 128, out_channels: int = 3):
        super().__init__()
        w = base_width
        dec = [(8 * w, 4 * w), (4 * w, 2 * w), (2 * w, w), (w, w)]
        self.ups = nn.ModuleList(up_conv(a, a) for a, _ in dec)
        self.blocks = nn.ModuleList(double_conv(a, b, mid=a) for a, b in dec)
        self.out = nn.Conv2d(w, out_channels, 3, padding=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Bottleneck ``(B, 8w, h, w)`` -> image ``(B, 3, 16h, 16w)``."""
        for up, block in zip(self.ups, self.blocks, strict=True):
            z = block(up(z))
        return self.out(z)


class ReconstructionNetwork(nn.Module):
    """Autoencoder without skips: ``I_a (B, 3, H, W) -> I_r (B, 3, H, W)``."""

    def __init__(self, base_width: int = 128):
        super().__init__()
        self.encoder = Encoder(base_width)
        self.decoder = Decoder(base_width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W) -> (B, 3, H, W)`` reconstruction."""
        return self.decoder(self.encoder(x))


class DeepFeatureExtractor(Encoder):
    """The encoder's architecture as a separate feature extractor (Sec. 3.2).

    In the paper's training (``copy_params``) it never receives gradients: :meth:`copy_from` loads
    the encoder's parameters and BN buffers before each step and its parameters are frozen.
    """

    @torch.no_grad()
    def copy_from(self, encoder: Encoder) -> None:
        """Copy every parameter and buffer of ``encoder`` (same architecture) into this module."""
        self.load_state_dict(encoder.state_dict())

    def freeze(self) -> DeepFeatureExtractor:
        """Stop gradients to the parameters (they only change by :meth:`copy_from`); returns ``self``."""
        for p in self.parameters():
            p.requires_grad_(False)
        return self


class RepLKEncoder(nn.Module):
    """RepLKNet-style encoder (Ding et al. 2022; RepLKNet-31B layout, ``dw_ratio 1``, no drop path).

    Stem: Conv3x3/2 -> DW Conv3x3 -> Conv1x1 -> DW Conv3x3/2 (each Conv-BN-ReLU), giving ``c0``
    channels at ``H/4``. Stage ``i`` has ``layers[i]`` pairs of (:class:`RepLKBlock` with kernel
    ``kernels[i]``, :class:`ConvFFN`) and a BN on its output; between stages a Conv1x1 and a
    DW Conv3x3/2 double the depth and halve the size.

    Args:
        in_channels: 6 = ``concat(I_r, I_a)``.
        channels: Stage widths (RepLKNet-31B: 128, 256, 512, 1024).
        layers: Blocks per stage (RepLKNet-31B: 2, 2, 18, 2).
        kernels: Large kernels per stage (31, 29, 27, 13).
        small_kernel: Re-parameterised small kernel (5).
        ffn_ratio: ConvFFN expansion (4).
    """

    def __init__(self, in_channels: int = 6, channels: Sequence[int] = (128, 256, 512, 1024),
                 layers: Sequence[int] = (2, 2, 18, 2), kernels: Sequence[int] = (31, 29, 27, 13),
                 small_kernel: int | None = 5, ffn_ratio: int = 4):
        super().__init__()
        if not len(channels) == len(layers) == len(kernels):
            raise ValueError("channels, layers and kernels need one entry per stage")
        c0 = channels[0]
        self.stem_half = nn.Sequential(conv_bn_relu(in_channels, c0, 3, 2),
                                       conv_bn_relu(c0, c0, 3, groups=c0), conv_bn_relu(c0, c0, 1))
        self.stem_quarter = conv_bn_relu(c0, c0, 3, 2, groups=c0)
        self.stages = nn.ModuleList()
        for c, n, k in zip(channels, layers, kernels, strict=True):
            pairs = ((RepLKBlock(c, c, k, small_kernel), ConvFFN(c, ffn_ratio * c)) for _ in range(n))
            blocks = [m for pair in pairs for m in pair]
            self.stages.append(nn.Sequential(*blocks, nn.BatchNorm2d(c)))
        self.transitions = nn.ModuleList(
            nn.Sequential(conv_bn_relu(a, b, 1), conv_bn_relu(b, b, 3, 2, groups=b))
            for a, b in zip(channels[:-1], channels[1:], strict=True))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """``(B, 6, H, W)`` -> features at ``H/2`` (``c0``), ``H/4`` (``c0``), ``H/8``, ``H/16``, ``H/32``."""
        half = self.stem_half(x)
        feats, x = [half], self.stem_quarter(half)
        for i, stage in enumerate(self.stages):
            x = stage(x)
            feats.append(x)
            if i < len(self.transitions):
                x = self.transitions[i](x)
        return feats


class DefectPredictionNetwork(nn.Module):
    """U-Net with a :class:`RepLKEncoder`: ``concat(I_r, I_a) (B, 6, H, W) -> logits (B, 2, H, W)``.

    The decoder mirrors the encoder (bilinear up-sampling + conv, skip concatenation, double conv,
    as DRAEM's U-Net); a full-resolution double conv on the input provides the ``H`` skip.

    Args:
        channels, layers, kernels, small_kernel, ffn_ratio: See :class:`RepLKEncoder`.
    """

    def __init__(self, channels: Sequence[int] = (128, 256, 512, 1024), layers: Sequence[int] = (2, 2, 18, 2),
                 kernels: Sequence[int] = (31, 29, 27, 13), small_kernel: int | None = 5, ffn_ratio: int = 4):
        super().__init__()
        c = list(channels)
        full = max(1, c[0] // 2)
        self.full = double_conv(6, full)
        self.encoder = RepLKEncoder(6, c, layers, kernels, small_kernel, ffn_ratio)
        # Skip widths from the bottom up: H/16 .. H/4 are the stages, H/2 the stem, H the full branch.
        skips = [*reversed(c[:-1]), c[0], full]
        widths = [c[-1], *skips]
        self.ups = nn.ModuleList(up_conv(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True))
        self.blocks = nn.ModuleList(double_conv(2 * b, b) for b in widths[1:])
        self.out = nn.Conv2d(full, 2, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 6, H, W) -> (B, 2, H, W)`` logits."""
        skips = [self.full(x), *self.encoder(x)]
        y = skips.pop()
        for up, block in zip(self.ups, self.blocks, strict=True):
            y = block(torch.cat([up(y), skips.pop()], dim=1))
        return self.out(y)

    def merge(self) -> DefectPredictionNetwork:
        """Fold every small kernel (and BN) into its large kernel for inference; returns ``self``."""
        merge_reparam(self)
        return self


class DmpModel(nn.Module):
    """Reconstruction network, deep-feature extractor and defect-prediction network.

    Args:
        rec_base_width: Autoencoder width ``w`` (DRAEM's 128).
        large_kernel: RepLKNet U-Net (paper); ``False`` = DRAEM's discriminative U-Net (Table 4).
        deep_features: Build the deep-feature extractor (paper); ``False`` for the Table 4 rows without.
        disc_base_width: Width of DRAEM's U-Net when ``large_kernel`` is off (64).
        channels, layers, kernels, small_kernel, ffn_ratio: The RepLKNet encoder, see :class:`RepLKEncoder`.
    """

    def __init__(self, rec_base_width: int = 128, large_kernel: bool = True, deep_features: bool = True,
                 disc_base_width: int = 64, channels: Sequence[int] = (128, 256, 512, 1024),
                 layers: Sequence[int] = (2, 2, 18, 2), kernels: Sequence[int] = (31, 29, 27, 13),
                 small_kernel: int | None = 5, ffn_ratio: int = 4):
        super().__init__()
        self.reconstruction = ReconstructionNetwork(rec_base_width)
        self.extractor = DeepFeatureExtractor(rec_base_width) if deep_features else None
        if large_kernel:
            self.defect = DefectPredictionNetwork(channels, layers, kernels, small_kernel, ffn_ratio)
        else:
            self.defect = DiscriminativeSubNetwork(disc_base_width)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``I_a (B, 3, H, W)`` -> ``(I_r (B, 3, H, W), logits (B, 2, H, W))``."""
        rec = self.reconstruction(x)
        return rec, self.defect(torch.cat([rec, x], dim=1))
