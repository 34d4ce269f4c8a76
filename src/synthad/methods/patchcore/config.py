"""PatchCore hyper-parameters (Roth et al., CVPR 2022); defaults are the paper's / official code's values.

README.md in this folder maps every field to the paper and lists where we deviate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from synthad.methods.config_base import NetworkConfig
from synthad.nn.backbones import check_feature_backbone, tap_channels
from synthad.utils.ranges import NonNegativeFloat, PositiveInt, Range


@dataclass(kw_only=True)
class Config(NetworkConfig):
    """PatchCore configuration.

    Inherited from :class:`~synthad.methods.config_base.NetworkConfig`: ``image_size`` (the side
    images are resized to, 256, and >= the largest stride; the paper then centre-crops 224, we do
    not) and ``eval_batch_size``.

    Attributes:
        backbone: Frozen feature network, a :data:`~synthad.nn.backbones.FEATURE_BACKBONES` entry
            (``"wide_resnet50_2"``, the paper's; ``"efficientnet_lite0"`` has packaged ImageNet
            weights and works offline).
        backbone_weights: ``"imagenet"`` (the paper's) or ``"random"`` (built under a fixed seed).
        strides: Feature taps used as the two "middle" hierarchy levels ([8, 16] = WRN50 layer2 +
            layer3). The finest one sets the patch grid; the others are up-sampled to it.
        neighbourhood: Side ``p`` of the local neighbourhood each feature is averaged over (3).
        pretrain_embed_dim: Channels each level is average-pooled to (official
            ``pretrain_embed_dimension``, 1024).
        target_embed_dim: Channels of the concatenated levels after a second average pooling, i.e.
            of a memory-bank feature (official ``target_embed_dimension``, 1024).
        coreset_ratio: Fraction of all training patch features kept by greedy coreset selection
            (0.1; the paper reports 0.01, 0.1 and 0.25). 1 keeps the whole bank.
        coreset_projection_dim: Dimension of the random projection the greedy selection runs on
            (128, the Johnson-Lindenstrauss trick of the paper).
        reweight: Image score by the paper's Eq. 7 re-weighting of the maximum patch score; False
            gives the plain maximum (the official code's score).
        reweight_neighbours: ``b``, bank neighbours of ``m*`` in Eq. 7 (9), at least 2.
        map_sigma: Gaussian smoothing of the up-sampled anomaly map at 256 px (4; 0 = none).
        scale_map_sigma: Scale ``map_sigma`` with ``image_size / 256``, as the other methods
            scale their kernels.
        batch_size: Training images per backbone pass while filling the bank (memory only).
    """

    backbone: str = "wide_resnet50_2"
    backbone_weights: Literal["imagenet", "random"] = "imagenet"
    strides: list[PositiveInt] = field(default_factory=lambda: [8, 16])
    neighbourhood: PositiveInt = 3  # and odd
    pretrain_embed_dim: PositiveInt = 1024
    target_embed_dim: PositiveInt = 1024
    coreset_ratio: Annotated[float, Range(gt=0, le=1)] = 0.1
    coreset_projection_dim: PositiveInt = 128
    reweight: bool = True
    reweight_neighbours: Annotated[int, Range(ge=2)] = 9  # Eq. 7 with b = 1 is always 0
    map_sigma: NonNegativeFloat = 4.0
    scale_map_sigma: bool = True
    batch_size: PositiveInt = 8

    def __post_init__(self):
        check_feature_backbone(self.backbone)
        if not self.strides or len(set(self.strides)) != len(self.strides):
            raise ValueError(f"strides must be distinct and non-empty, got {self.strides}")
        tap_channels(self.backbone, self.strides)  # DataError (a ValueError) naming the missing tap
        if self.image_size < max(32, max(self.strides)):
            raise ValueError(f"image_size must be >= 32 and >= the largest stride, got {self.image_size}")
        if self.neighbourhood < 1 or self.neighbourhood % 2 == 0:
            raise ValueError(f"neighbourhood must be odd and >= 1, got {self.neighbourhood}")
        for name in ("pretrain_embed_dim", "target_embed_dim", "coreset_projection_dim", "batch_size",
                     "eval_batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0 < self.coreset_ratio <= 1:
            raise ValueError(f"coreset_ratio must be in (0, 1], got {self.coreset_ratio}")
        if self.reweight_neighbours < 2:
            raise ValueError(f"reweight_neighbours must be >= 2 (Eq. 7 with b = 1 is always 0),"
                             f" got {self.reweight_neighbours}")
        if self.map_sigma < 0:
            raise ValueError(f"map_sigma must be >= 0, got {self.map_sigma}")

    @property
    def sigma(self) -> float:
        """The map's Gaussian sigma at ``image_size`` (``map_sigma`` at 256 px, scaled if asked)."""
        return self.map_sigma * self.image_size / 256 if self.scale_map_sigma else self.map_sigma
