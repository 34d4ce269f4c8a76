"""NDP-Net's losses (Luo, Yao, Yu, Sec. III-B to III-E): perceptual, defect perception, repair, seg.

* :class:`PerceptualLoss` -- Eqs. 13/16: mean over the first five ReLU outputs of VGG16
  (relu1_1, relu1_2, relu2_1, relu2_2, relu3_1) of the mean L1 distance.
* :func:`defect_perception_loss` -- Eq. 2, ``L_def_per``.
* :func:`feature_repair_loss` -- Eq. 9, ``L_fea_rep``.
* :func:`segmentation_loss` -- Eq. 10, ``L_seg`` (focal loss per MSDSM scale).

Reconstruction terms (Eqs. 12/15) are plain ``F.mse_loss``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from synthad.nn import focal_loss
from synthad.nn.backbones import FeatureTaps, freeze, imagenet_normalize, load_backbone

VGG_RELUS = (1, 3, 6, 8, 11)  # indices of the first five ReLUs in torchvision's vgg16().features
RANDOM_VGG_SEED = 0  # "random" weights are one fixed random VGG16, whatever the run's seed
# Another backbone's perceptual layers: its taps at strides 2, 4, 8 (VGG's five ReLUs sit at 1-4).
TAP_STRIDES = (2, 4, 8)


@lru_cache(maxsize=4)
def _trunk(backbone: str, weights: str) -> nn.Module:
    """The frozen feature network of the loss; built once per process, backbone and weights kind.

    VGG16: ``features[:12]`` (up to relu3_1). Any other backbone: its :class:`FeatureTaps` at
    :data:`TAP_STRIDES`.
    """
    if backbone != "vgg16":
        return FeatureTaps(backbone, weights, TAP_STRIDES)  # type: ignore[arg-type]
    with torch.random.fork_rng(devices=[]):  # a fixed random VGG must not shift the run's RNG stream
        torch.manual_seed(RANDOM_VGG_SEED)
        vgg = load_backbone("vgg16", weights)  # type: ignore[arg-type]
    return freeze(vgg.features[: VGG_RELUS[-1] + 1])


class PerceptualLoss(nn.Module):
    """``1/L sum_l ||D_l(a) - D_l(b)||_1`` over VGG16's first five ReLU maps (Eqs. 13 and 16).

    Args:
        weights: ``"imagenet"`` (the paper; read from the torchvision cache, a missing file raises
            :class:`~synthad.nn.backbones.BackboneWeightsMissing`), ``"random"`` (a fixed random
            network: its conv features still measure local structure) or ``"none"`` (term is 0).
        backbone: ``"vgg16"`` (the paper's) or a :data:`~synthad.nn.backbones.FEATURE_BACKBONES`
            entry, whose taps at strides 2, 4, 8 are the ``L = 3`` layers (``"efficientnet_lite0"``:
            16, 24 and 40 channels; packaged ImageNet weights that work offline).
    """

    def __init__(self, weights: Literal["imagenet", "random", "none"] = "imagenet", backbone: str = "vgg16"):
        super().__init__()
        self.enabled = weights != "none"
        # Kept out of the module tree: the frozen network is not part of NDP-Net's weights.
        self._trunk = (_trunk(backbone, weights),) if self.enabled else ()

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Images ``(B, 3, H, W)`` in ``[0, 1]`` -> the loss's feature maps (five for VGG16)."""
        trunk = self._trunk[0].to(x.device)
        if isinstance(trunk, FeatureTaps):
            return trunk(x)
        out, h = [], imagenet_normalize(x)
        for i, layer in enumerate(trunk):
            h = layer(h)
            if i in VGG_RELUS:
                out.append(h)
        return out

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """``a, b (B, 3, H, W)`` -> scalar (``0`` when disabled)."""
        if not self.enabled:
            return a.new_zeros(())
        fa, fb = self.features(a), self.features(b)
        return torch.stack([(x - y).abs().mean() for x, y in zip(fa, fb, strict=True)]).mean()


def resize_mask(mask: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Eq. 2's target: mask ``(B, 1, H, W)`` in ``{0, 1}`` -> defect share per cell ``(B, 1, *size)``.

    The area average, not a binarised mask: Eq. 2 is a squared error, so a soft target is valid, and
    a threshold empties it. With ``>= 0.5`` a quarter of the demo's defect masks became empty at
    16 x 16 and nearly all at 4 x 4, where ``N(.)`` (which always reaches 1) cannot match them.
    """
    if mask.shape[-2:] == tuple(size):
        return mask
    return F.interpolate(mask, size=size, mode="area")


def segmentation_target(mask: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Eq. 10's target: a cell of ``(B, 1, *size)`` is defective when any of its pixels is.

    The focal loss needs a binary target. Max pooling keeps every defect at every scale; an area
    threshold at 0.5 erased the small ones at the coarse scales, which taught ``DSM_3`` (weight 0.6
    in Eq. 11) to call them normal.
    """
    if mask.shape[-2:] == tuple(size):
        return mask
    return F.adaptive_max_pool2d(mask, size)


def minmax_normalize(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """``N(.)`` of Eq. 2: per-image min-max scaling of ``(B, 1, H, W)`` to ``[0, 1]``."""
    flat = x.flatten(1)
    lo, hi = flat.min(1).values.view(-1, 1, 1, 1), flat.max(1).values.view(-1, 1, 1, 1)
    return (x - lo) / (hi - lo + eps)


def defect_perception_loss(feats_o: list[torch.Tensor], feats_ad: list[torch.Tensor],
                           mask: torch.Tensor) -> torch.Tensor:
    """``L_def_per`` (Eq. 2): ``1/L sum_l || N(M(||Phi_l(I_o) - Phi_l(I_ad)||^2)) - I_m^l ||^2``.

    Args:
        feats_o: Encoder features of the defect-free images, one ``(B, C_l, H_l, W_l)`` per layer.
        feats_ad: The same layers for the artificial defective images.
        mask: ``I_m`` ``(B, 1, H, W)`` in ``{0, 1}``.

    Returns:
        Scalar: mean over layers of the mean squared error between the min-max normalised channel
        mean of the squared feature difference and the mask area-averaged to the layer.
    """
    terms = []
    for fo, fa in zip(feats_o, feats_ad, strict=True):
        diff = minmax_normalize((fo - fa).pow(2).mean(1, keepdim=True))
        terms.append(F.mse_loss(diff, resize_mask(mask, fo.shape[-2:])))
    return torch.stack(terms).mean()


def feature_repair_loss(repaired: list[torch.Tensor], feats_o: list[torch.Tensor]) -> torch.Tensor:
    """``L_fea_rep`` (Eq. 9): mean over RBAM layers 3-5 of ``MSE(F_out^l, F_o^l)``."""
    return torch.stack([F.mse_loss(r, o) for r, o in zip(repaired, feats_o, strict=True)]).mean()


def segmentation_loss(logits: list[torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
    """``L_seg`` (Eq. 10): mean over scales of the focal loss of ``softmax(AM_i)`` vs the resized mask."""
    return torch.stack([focal_loss(torch.softmax(x, dim=1), segmentation_target(mask, x.shape[-2:]))
                        for x in logits]).mean()
