"""Torchvision backbones (ResNet18, VGG16, WRN50) with offline weights.

Nothing downloads here. ImageNet weights are read from torchvision's own cache, the file
``$TORCH_HOME/hub/checkpoints/<name>`` that ``torchvision.models.<arch>(weights=...)`` would have
written (``~/.cache/torch`` when ``TORCH_HOME`` is unset). A missing file is a
:class:`BackboneWeightsMissing` error that names the path and the URL to fetch it from on a
machine with network. ``weights="random"`` builds the architecture with torchvision's
initialisation (seed with ``torch.manual_seed`` first): the offline fallback for demos and tests.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from synthad.errors import DataError
from synthad.nn.backbones.common import WeightsKind

# Architecture -> names of its torchvision builder and weights enum; the enum's DEFAULT gives the
# cached file name. Names, not objects: importing torchvision.models costs ~1 s, which only the jobs
# that build one of these should pay.
BACKBONES = {
    "resnet18": ("resnet18", "ResNet18_Weights"),
    "vgg16": ("vgg16", "VGG16_Weights"),
    "wide_resnet50_2": ("wide_resnet50_2", "Wide_ResNet50_2_Weights"),
}

class BackboneWeightsMissing(DataError):
    """ImageNet weights of a backbone are not in torchvision's cache (and will not be downloaded)."""


def weights_path(name: str) -> Path:
    """Where torchvision caches the default ImageNet weights of ``name``.

    Raises:
        DataError: Unknown architecture (the message lists the known ones).
    """
    _, enum = _lookup(name)
    url = enum.DEFAULT.url
    return Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]


def load_torchvision(name: str, weights: WeightsKind = "imagenet") -> nn.Module:
    """Build torchvision's ``name`` with ImageNet weights from the cache or random weights.

    Args:
        name: ``"resnet18"``, ``"vgg16"`` or ``"wide_resnet50_2"``.
        weights: ``"imagenet"`` (the papers') or ``"random"`` (offline fallback).

    Returns:
        The full classification model in eval mode; callers take the layers they need.

    Raises:
        BackboneWeightsMissing: ``weights="imagenet"`` and the cached file is absent or unreadable.
        DataError: Unknown architecture or weights kind.
    """
    builder, enum = _lookup(name)
    if weights not in ("imagenet", "random"):
        raise DataError(f"backbone weights must be 'imagenet' or 'random', got {weights!r}")
    model = builder(weights=None)
    if weights == "imagenet":
        model.load_state_dict(_read_cached(name, enum))
    return model.eval()


def _lookup(name: str):
    if name not in BACKBONES:
        raise DataError(f"unknown backbone {name!r}; known: {', '.join(sorted(BACKBONES))}")
    from torchvision import models

    builder, enum = BACKBONES[name]
    return getattr(models, builder), getattr(models, enum)


def _read_cached(name: str, enum) -> dict:
    path = weights_path(name)
    if not path.is_file():
        raise BackboneWeightsMissing(
            f"ImageNet weights of {name} not found at {path}. SynthAD never downloads inside a run:"
            f" on a machine with network fetch {enum.DEFAULT.url} into {path.parent} (or run"
            f" `python -c \"import torchvision; torchvision.models.{name}(weights='DEFAULT')\"`),"
            f" set TORCH_HOME to the folder that holds hub/checkpoints/, or set the method's"
            f" backbone weights to 'random' (offline demo)")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated download: name the file instead of a pickle traceback
        raise BackboneWeightsMissing(f"{path}: cannot read the {name} weights ({exc}); delete it and"
                                     f" fetch {enum.DEFAULT.url} again") from exc
