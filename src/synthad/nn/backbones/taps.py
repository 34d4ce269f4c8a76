"""Multi-scale features of any backbone, named by stride: the one interface methods build on.

A method asks for the strides it needs (RealNet's WRN50 layer1-3 are strides 4, 8, 16) and gets one
feature map per stride, whatever the architecture:

==================  ===============  ===============  ================  =================  ================
architecture        stride 2         stride 4         stride 8          stride 16          stride 32
==================  ===============  ===============  ================  =================  ================
resnet18            (no max-pool)    layer1, 64       layer2, 128       layer3, 256        layer4, 512
wide_resnet50_2     (no max-pool)    layer1, 256      layer2, 512       layer3, 1024       layer4, 2048
efficientnet_lite0  blocks[0], 16    blocks[1], 24    blocks[2], 40     blocks[4], 112     blocks[6], 320
efficientnet_lite1  16               24               40                112                320
efficientnet_lite2  16               24               48                120                352
==================  ===============  ===============  ================  =================  ================

A ResNet's max-pool can be left out (``stem_pool=False``, SLSG's encoder): its layers then sit at
half the stride (layer1 at 2, ..., layer4 at 16).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from synthad.errors import DataError
from synthad.nn.backbones.common import WeightsKind, freeze, imagenet_normalize
from synthad.nn.backbones.efficientnet_lite import LITE_MODELS, TAP_STAGE, build_lite
from synthad.nn.backbones.torchvision_zoo import load_torchvision

# Channels of each stride's tap (ResNets with their max-pool; without it every stride halves).
TAP_CHANNELS = {
    "resnet18": {4: 64, 8: 128, 16: 256, 32: 512},
    "wide_resnet50_2": {4: 256, 8: 512, 16: 1024, 32: 2048},
    "efficientnet_lite0": {2: 16, 4: 24, 8: 40, 16: 112, 32: 320},
    "efficientnet_lite1": {2: 16, 4: 24, 8: 40, 16: 112, 32: 320},
    "efficientnet_lite2": {2: 16, 4: 24, 8: 48, 16: 120, 32: 352},
}
FEATURE_BACKBONES = tuple(TAP_CHANNELS)


def check_feature_backbone(arch: str, field: str = "backbone") -> None:
    """Raise a ``ValueError`` naming ``field`` when ``arch`` is not a feature backbone (Config checks)."""
    if arch not in TAP_CHANNELS:
        raise ValueError(f"{field} must be one of {', '.join(FEATURE_BACKBONES)}, got {arch!r}")


def tap_channels(arch: str, strides: Sequence[int], stem_pool: bool = True) -> tuple[int, ...]:
    """Channels of the taps of ``arch`` at ``strides``, without building the network.

    Raises:
        DataError: Unknown architecture, or a stride it has no tap at (the message lists them).
    """
    table = _table(arch, stem_pool)
    missing = [s for s in strides if s not in table]
    if missing:
        raise DataError(f"{arch} has no feature tap at stride {missing}; taps: {sorted(table)}")
    return tuple(table[s] for s in strides)


def _table(arch: str, stem_pool: bool) -> dict[int, int]:
    if arch not in TAP_CHANNELS:
        raise DataError(f"unknown feature backbone {arch!r}; known: {', '.join(FEATURE_BACKBONES)}")
    table = TAP_CHANNELS[arch]
    if arch in LITE_MODELS or stem_pool:
        return table
    return {s // 2: c for s, c in table.items()}


class FeatureTaps(nn.Module):
    """A backbone truncated after its deepest requested tap; returns one map per stride.

    Args:
        arch: A key of :data:`TAP_CHANNELS`.
        weights: ``"imagenet"`` (torchvision cache, or the installed package for EfficientNet-Lite)
            or ``"random"`` (drawn under a fixed seed, so every instance is the same network and
            its weights need not be saved).
        strides: Strides to return, ascending (e.g. ``(4, 8, 16)``).
        frozen: No gradients and BatchNorm always in eval mode (``train()`` is ignored).
        stem_pool: Keep a ResNet's max-pool (ignored for EfficientNet-Lite).

    Attributes:
        channels: Channels of each returned map, in the order of ``strides``.
    """

    def __init__(self, arch: str, weights: WeightsKind, strides: Sequence[int], frozen: bool = True,
                 stem_pool: bool = True):
        super().__init__()
        self.strides = tuple(sorted(strides))
        self.channels = tap_channels(arch, self.strides, stem_pool)
        self.frozen = frozen
        with torch.random.fork_rng(devices=[]):  # one fixed random network, the run's RNG untouched
            torch.manual_seed(0)
            self.stem, stages, tap_strides = _split(arch, weights, stem_pool)
        last = tap_strides.index(self.strides[-1])
        self.stages = nn.ModuleList(stages[: last + 1])
        self.stage_strides = tap_strides[: last + 1]
        if frozen:
            freeze(self)

    def train(self, mode: bool = True) -> FeatureTaps:
        """A frozen backbone stays in eval mode, so its BatchNorm statistics never move."""
        return super().train(mode and not self.frozen)

    def forward(self, images: torch.Tensor, normalize: bool = True) -> list[torch.Tensor]:
        """Images ``(B, 3, H, W)`` in ``[0, 1]`` -> ``[(B, C_i, H / s_i, W / s_i)]`` per stride ``s_i``.

        Args:
            images: The batch; already ImageNet-standardised when ``normalize`` is False.
            normalize: Apply the ImageNet standardisation first.
        """
        # No no_grad here even when frozen: a perceptual loss needs the gradient w.r.t. the images
        # (the parameters get none, requires_grad is off); callers that need no graph wrap it.
        return self.stage_taps(self.stem(imagenet_normalize(images) if normalize else images))

    def stage_taps(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The stages alone: what enters the first stage ``(B, C, H/s, W/s)`` -> one map per stride."""
        out = []
        for stride, stage in zip(self.stage_strides, self.stages, strict=True):
            x = stage(x)
            if stride in self.strides:
                out.append(x)
        return out


def _split(arch: str, weights: WeightsKind, stem_pool: bool) -> tuple[nn.Module, list[nn.Module], list[int]]:
    """(stem, stages, stride after each stage) of ``arch``; the stages end at its taps."""
    if arch in LITE_MODELS:
        net = build_lite(arch, weights)
        groups, start = [], 0
        for end in TAP_STAGE.values():  # merge stages that share a stride into one
            groups.append(nn.Sequential(*net.blocks[start: end + 1]))
            start = end + 1
        return nn.Sequential(net.conv_stem, net.bn1), groups, list(TAP_STAGE)
    if arch not in ("resnet18", "wide_resnet50_2"):
        _table(arch, stem_pool)  # raises the unknown-architecture error
    net = load_torchvision(arch, weights)
    stem = [net.conv1, net.bn1, net.relu] + ([net.maxpool] if stem_pool else [])
    strides = list(_table(arch, stem_pool))
    return nn.Sequential(*stem), [net.layer1, net.layer2, net.layer3, net.layer4], strides
