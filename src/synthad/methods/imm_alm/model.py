"""Lv et al.'s networks (CVPRW 2023, Figs. 4 and 6): nn.Modules only.

* :class:`ImageMatcher` (IMM): shared fully-convolutional ``N_P`` on template and input,
  concatenation, regression network ``N_R`` -> ``(Tx, Ty, theta)``, spatial-transformer warp (Eq. 2).
* :class:`MixedFeatures`: frozen ResNet18 stages 1-3 (or another backbone's taps at strides 4, 8, 16)
  scaled to one size and concatenated (``F_Mixed``).
* :class:`ChannelReduction`: the fixed "dimensionality reduction" of ``F_Mixed`` that defines ``F_C``.
* :class:`MappingNetwork` (``N_M``): ``F_Mixed`` -> ``F_M``.
* :class:`ImmAlmModel`: all of them plus the template ``I_T`` and the centre ``F_C`` as buffers.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from synthad.methods.imm_alm.geometry import affine_matrix, warp
from synthad.nn.backbones import FeatureTaps, tap_channels

# ResNet18's stages 1-3 are the taps at strides 4, 8, 16 (64 + 128 + 256 = 448 channels).
STAGE_STRIDES = (4, 8, 16)
MIXED_CHANNELS = sum(tap_channels("resnet18", STAGE_STRIDES))


def _conv_block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU(inplace=True))


class ImageMatcher(nn.Module):
    """IMM: regress the rigid warp that aligns an image with the template, and apply it.

    Args:
        widths: Channels of ``N_P``'s blocks (conv 3x3 + BN + ReLU + max-pool 2 each).
        hidden: Hidden units of ``N_R``'s fully connected head.
    """

    def __init__(self, widths: list[int], hidden: int):
        super().__init__()
        blocks, c = [], 3
        for w in widths:
            blocks += [_conv_block(c, w), nn.MaxPool2d(2, ceil_mode=True)]
            c = w
        self.extract = nn.Sequential(*blocks)  # N_P, shared by template and input
        # N_R keeps a 4x4 layout before the FC layers: where things are is what it must regress.
        self.regress = nn.Sequential(_conv_block(2 * c, c), nn.AdaptiveAvgPool2d(4), nn.Flatten(),
                                     nn.Linear(16 * c, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, 3))
        last = self.regress[-1]
        nn.init.zeros_(last.weight)  # identity start: (0, 0, 0) = no warp
        nn.init.zeros_(last.bias)

    def features(self, images: torch.Tensor, template: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``F_D = N_P(I_O)`` ``(B, C, h, w)`` and ``F_T = N_P(I_T)`` ``(1, C, h, w)``.

        Template and images go through ``N_P`` as one batch: in training mode each BatchNorm then
        normalises the template with the same batch statistics as the images (alone it would be
        normalised by its own single-image statistics, which it never sees at evaluation), and the
        running statistics are updated once per step from that batch. In evaluation mode every
        sample is normalised by the running statistics, so a pair's output does not depend on the
        rest of the batch.
        """
        both = self.extract(torch.cat([template[None], images]))
        return both[1:], both[:1]

    def params(self, images: torch.Tensor, template: torch.Tensor) -> torch.Tensor:
        """``N_R(N_P(I_O) (+) N_P(I_T))``: images ``(B, 3, S, S)``, template ``(3, S, S)`` -> ``(B, 3)``.

        Rows are ``(tx, ty, theta)`` of :func:`~synthad.methods.imm_alm.geometry.affine_matrix`.
        """
        f_o, f_t = self.features(images, template)
        return self.regress(torch.cat([f_o, f_t.expand_as(f_o)], dim=1))

    def forward(self, images: torch.Tensor, template: torch.Tensor, padding: str = "border"
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Align ``images`` ``(B, 3, S, S)`` with ``template`` ``(3, S, S)``.

        Returns:
            ``I_M`` ``(B, 3, S, S)`` (Eq. 2) and the sampling matrices ``(B, 2, 3)`` that made it.
        """
        matrix = affine_matrix(self.params(images, template))
        return warp(images, matrix, padding=padding), matrix


class MixedFeatures(FeatureTaps):
    """Frozen backbone stages 1-3, bilinearly scaled to ``S / stride`` and concatenated (``F_Mixed``).

    Args:
        weights: ``"imagenet"`` (the paper's) or ``"random"`` (a fixed random network, so every
            instance is identical and the weights need not be saved).
        stride: Output stride of ``F_Mixed`` (4 = stage 1's resolution).
        backbone: ``"resnet18"`` (the paper's) or another architecture's taps at strides 4, 8, 16
            (``"efficientnet_lite0"``: 24 + 40 + 112 = 176 channels instead of 448).
    """

    def __init__(self, weights: str = "imagenet", stride: int = 4, backbone: str = "resnet18"):
        super().__init__(backbone, weights, STAGE_STRIDES)  # type: ignore[arg-type]
        self.stride = stride

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Images ``(B, 3, S, S)`` in ``[0, 1]`` -> ``F_Mixed`` ``(B, C, S / stride, S / stride)``.

        ``C = sum(channels)``; taps at other strides are bilinearly scaled to ``S / stride``.
        """
        size = (images.shape[-2] // self.stride, images.shape[-1] // self.stride)
        taps = super().forward(images)
        out = [x if x.shape[-2:] == size else F.interpolate(x, size, mode="bilinear", align_corners=False)
               for x in taps]
        return torch.cat(out, dim=1)


class ChannelReduction(nn.Module):
    """Fixed linear reduction ``channels -> dim`` per position (no parameters to train; a buffer).

    Args:
        dim: Output channels.
        channels: Input channels (``F_Mixed``'s; 448 for ResNet18).
        kind: ``"projection"``: Gaussian random matrix ``N(0, 1/dim)`` drawn from ``seed``
            (Johnson-Lindenstrauss: keeps angles approximately); ``"group_mean"``: mean of ``dim``
            consecutive channel groups (as equal as possible).
        seed: Seed of the projection.
    """

    def __init__(self, dim: int, kind: str = "projection", seed: int = 0, channels: int = MIXED_CHANNELS):
        super().__init__()
        if kind == "projection":
            gen = torch.Generator().manual_seed(seed)
            weight = torch.randn(dim, channels, generator=gen) / dim ** 0.5
        elif kind == "group_mean":
            groups = torch.arange(channels) * dim // channels
            weight = F.one_hot(groups, dim).T.float()
            weight = weight / weight.sum(dim=1, keepdim=True)
        else:
            raise ValueError(f"unknown reduction {kind!r}; known: projection, group_mean")
        self.register_buffer("weight", weight)

    def forward(self, mixed: torch.Tensor) -> torch.Tensor:
        """``(B, channels, h, w)`` -> ``(B, dim, h, w)``."""
        return torch.einsum("dc,bchw->bdhw", self.weight, mixed)


class MappingNetwork(nn.Module):
    """``N_M``: 3x3 conv + BN + ReLU per hidden width, then a 1x1 conv to ``dim`` (``F_M``)."""

    def __init__(self, widths: list[int], dim: int, channels: int = MIXED_CHANNELS):
        super().__init__()
        layers, c = [], channels
        for w in widths:
            layers.append(_conv_block(c, w))
            c = w
        layers.append(nn.Conv2d(c, dim, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, mixed: torch.Tensor) -> torch.Tensor:
        """``F_Mixed`` ``(B, channels, h, w)`` -> ``F_M`` ``(B, dim, h, w)``."""
        return self.net(mixed)


class ImmAlmModel(nn.Module):
    """IMM, ALM and their fixed data: template ``I_T`` ``(3, S, S)`` and centre ``F_C`` ``(D, h, w)``.

    ``F_C`` is ``(D, 1, 1)`` for the single-vector centre; both buffers are filled by training.
    ``features`` re-uses an already built frozen backbone (a re-fit need not load it again).
    """

    def __init__(self, image_size: int, imm_widths: list[int], imm_hidden: int, weights: str, stride: int,
                 dim: int, reduction: str, mapping_widths: list[int], vector_center: bool,
                 features: MixedFeatures | None = None, backbone: str = "resnet18"):
        super().__init__()
        self.matcher = ImageMatcher(imm_widths, imm_hidden)
        self.features = features if features is not None else MixedFeatures(weights, stride, backbone)
        mixed = sum(self.features.channels)
        self.reduce = ChannelReduction(dim, reduction, channels=mixed)
        self.mapping = MappingNetwork(mapping_widths, dim, mixed)
        side = 1 if vector_center else image_size // stride
        self.register_buffer("template", torch.zeros(3, image_size, image_size))
        self.register_buffer("center", torch.zeros(dim, side, side))

    def embed(self, aligned: torch.Tensor) -> torch.Tensor:
        """``F_M = N_M(F_Mixed(I_M))``: ``(B, 3, S, S)`` -> ``(B, D, S / stride, S / stride)``."""
        return self.mapping(self.features(aligned))
