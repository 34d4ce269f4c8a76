"""SLSG's networks: the ResNet18 encoder shared by GPT-Net and SegNet, the U-Net decoder, SegNet.

Encoder (Sec. 4.2 "resnet18"), as the authors' code runs it: ``layer1`` takes the output of
``conv1`` directly, so ``bn1``, the ReLU and the max-pool are bypassed on the main path and the
bottleneck (``layer4``, 512 channels) is at 1/16 of the input, i.e. 16 x 16 nodes at 256 px;
``relu(bn1(conv1(x)))`` is used only as one more skip (stride 2). Decoder: "four stacked
up-sampling blocks and Conv blocks"; an up-sampling block is a bilinear x2 up-sampling and a
convolution group (conv 3x3, BN, ReLU), a Conv block two convolution groups; encoder features enter
through skip connections.

SegNet (Sec. 3.3): encoder -> SG block -> ``X'``; ``X'`` goes to the decoder and, projected to a few
channels, to every decoder block (bottleneck skips, Table 6); an auxiliary head on ``X'`` predicts
the mask at 1/16 (auxiliary loss ``L_aux^S``). As in the authors' code, the ``layer1..3`` skips
pass through large-kernel attention (:class:`~synthad.nn.large_kernel.LKABlock`, 3 x 3 depth-wise,
3 x 3 depth-wise with dilation 3, 1 x 1) and the stem skip enters the last decoder block, which
then works at 1/2 and is up-sampled before the output convolution.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from synthad.methods.slsg.sg_block import SGBlock
from synthad.nn.backbones import FeatureTaps, imagenet_normalize, tap_channels
from synthad.nn.large_kernel import LKABlock

ENCODER_STRIDES = (2, 4, 8, 16)  # ResNet18 layer1..layer4 without the max-pool
ENCODER_CHANNELS = tap_channels("resnet18", ENCODER_STRIDES, stem_pool=False)  # (64, 128, 256, 512)
SKIP_LKA = {"local": 3, "kernel_size": 3, "dilation": 3}  # the authors' SpatialAttention(dim, 3, 3)


def conv_group(c_in: int, c_out: int) -> nn.Sequential:
    """Convolution group: conv 3x3 (no bias, BN follows), BatchNorm, ReLU."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU(inplace=True))


class Encoder(FeatureTaps):
    """The trainable encoder: the stem convolution feeds the first stage directly (authors' code).

    The stem is ``conv, BN, activation`` (ResNet18: ``conv1, bn1, relu``, its max-pool dropped;
    EfficientNet-Lite: ``conv_stem`` and its BN + ReLU6). The first stage takes the bare convolution
    output; the normalised, activated stem is returned only as a skip. ``channels`` is
    ``(64, 128, 256, 512)`` for ResNet18 and ``(16, 24, 40, 112)`` for ``"efficientnet_lite0"``;
    ``stem_channels`` 64 and 32.

    Args:
        weights: ``"imagenet"`` or ``"random"`` (a fixed random network).
        backbone: ``"resnet18"`` (the paper's) or a :data:`~synthad.nn.backbones.FEATURE_BACKBONES` entry.
    """

    def __init__(self, weights: str = "random", backbone: str = "resnet18"):
        super().__init__(backbone, weights, ENCODER_STRIDES, frozen=False, stem_pool=False)  # type: ignore[arg-type]
        self.stem_channels = self.stem[0].out_channels

    def forward(self, images: torch.Tensor, normalize: bool = True) -> list[torch.Tensor]:
        """Images ``(B, 3, H, W)`` -> ``[stem, layer1, layer2, layer3, layer4]``.

        Args:
            images: In ``[0, 1]``, or already ImageNet-standardised when ``normalize`` is False.
            normalize: Apply the ImageNet standardisation first.

        Returns:
            ``stem (B, C0, H/2, W/2)``, ``layer1 (B, C1, H/2, W/2)``, ``layer2 (B, C2, H/4, W/4)``,
            ``layer3 (B, C3, H/8, W/8)``, ``layer4 (B, C4, H/16, W/16)``.
        """
        conv = self.stem[0](imagenet_normalize(images) if normalize else images)
        return [self.stem[1:](conv), *self.stage_taps(conv)]


class Decoder(nn.Module):
    """Four up-sampling + Conv blocks from 1/16 to full size, with skips from ``layer3..layer1``.

    Without a stem skip (GPT-Net) every block up-samples x2 and the last one works at full size.
    With one (SegNet, as the authors' code) the last block stays at 1/2, where the stem skip joins,
    and its output is up-sampled x2 before the final convolution.

    Args:
        widths: Output widths of the four blocks.
        out_channels: Channels of the final 3x3 convolution.
        extra_channels: Channels of an extra map concatenated at every block (SegNet's bottleneck skip).
        encoder_channels: Channels of the encoder's four stage outputs (ResNet18's by default).
        stem_channels: Channels of the stem skip into the last block (0: none).
    """

    def __init__(self, widths: list[int], out_channels: int, extra_channels: int = 0,
                 encoder_channels: tuple[int, ...] = ENCODER_CHANNELS, stem_channels: int = 0):
        super().__init__()
        skips = (encoder_channels[2], encoder_channels[1], encoder_channels[0], stem_channels)
        c_in = encoder_channels[3]
        self.up, self.block = nn.ModuleList(), nn.ModuleList()
        for width, skip in zip(widths, skips, strict=True):
            self.up.append(conv_group(c_in, width))
            self.block.append(nn.Sequential(conv_group(width + skip + extra_channels, width),
                                            conv_group(width, width)))
            c_in = width
        self.head = nn.Conv2d(c_in, out_channels, 3, padding=1)
        self.stem_skip = stem_channels > 0

    def forward(self, bottleneck: torch.Tensor, skips: list[torch.Tensor],
                extra: torch.Tensor | None = None) -> torch.Tensor:
        """Decode to full size.

        Args:
            bottleneck: ``(B, C4, h, w)`` (512 for ResNet18).
            skips: ``[layer3 (B, C3, 2h, 2w), layer2 (B, C2, 4h, 4w), layer1 (B, C1, 8h, 8w)]``,
                then ``stem (B, C0, 8h, 8w)`` when the decoder has a stem skip.
            extra: ``(B, E, h, w)`` map concatenated (up-sampled) at every block, or ``None``.

        Returns:
            ``(B, out_channels, 16 h, 16 w)``.
        """
        x = bottleneck
        for i, (up, block) in enumerate(zip(self.up, self.block, strict=True)):
            if i < 3 or not self.stem_skip:  # with the stem skip the last block stays at 1/2
                x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
            x = up(x)
            parts = [x] + ([skips[i]] if i < len(skips) else [])
            if extra is not None:
                parts.append(F.interpolate(extra, size=x.shape[-2:], mode="bilinear", align_corners=False))
            x = block(torch.cat(parts, dim=1))
        if self.stem_skip:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        return self.head(x)


class SegNet(nn.Module):
    """Anomaly segmentation network: encoder, SG block, decoder, auxiliary head (Fig. 2).

    Args:
        weights: Initial encoder weights (``"imagenet"`` / ``"random"``); GPT-Net weights are loaded later.
        decoder_widths: Decoder block widths.
        sg: Keyword arguments of :class:`SGBlock` (``top_k``, ``reduction``, ``pos_dim``,
            ``eliminate_position``, ``mode``).
        skip_channels: Width of the projected ``X'`` (bottleneck skips and auxiliary head).
        bottleneck_skip: Feed the projected ``X'`` to every decoder block.
        freeze_encoder: No gradient to the encoder, which stays in eval mode.
        backbone: Encoder architecture (``"resnet18"``, the paper's; see :class:`Encoder`).
    """

    def __init__(self, weights: str, decoder_widths: list[int], sg: dict, skip_channels: int = 32,
                 bottleneck_skip: bool = True, freeze_encoder: bool = True, backbone: str = "resnet18"):
        super().__init__()
        self.encoder = Encoder(weights, backbone)
        channels = self.encoder.channels
        self.skip_attention = nn.ModuleList(LKABlock(c, **SKIP_LKA) for c in channels[:3])  # layer1..3
        self.sg = SGBlock(channels[3], **sg)
        self.project = conv_group(channels[3], skip_channels)
        self.aux_head = nn.Sequential(conv_group(skip_channels, skip_channels),
                                      nn.Conv2d(skip_channels, 2, 3, padding=1))
        self.decoder = Decoder(decoder_widths, 2, skip_channels if bottleneck_skip else 0, channels,
                               self.encoder.stem_channels)
        self.bottleneck_skip, self.freeze_encoder = bottleneck_skip, freeze_encoder
        if freeze_encoder:
            self.encoder.requires_grad_(False)

    def train(self, mode: bool = True) -> SegNet:
        """Train mode everywhere except a frozen encoder (its BatchNorm statistics stay fixed)."""
        super().train(mode)
        if self.freeze_encoder:
            self.encoder.eval()
        return self

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images ``(B, 3, H, W)`` in ``[0, 1]`` -> segmentation, auxiliary logits ``(B, 2, H, W)`` each."""
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze_encoder):
            stem, f1, f2, f3, f4 = self.encoder(x)
        f1, f2, f3 = (attend(f) for attend, f in zip(self.skip_attention, (f1, f2, f3), strict=True))
        x_prime = self.sg(f4)
        projected = self.project(x_prime)
        aux = F.interpolate(self.aux_head(projected), size=x.shape[-2:], mode="bilinear", align_corners=False)
        logits = self.decoder(x_prime, [f3, f2, f1, stem], projected if self.bottleneck_skip else None)
        return logits, aux
