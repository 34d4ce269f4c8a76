"""IMM + ALM hyper-parameters (Lv et al., CVPRW 2023, Sec. 3.1); defaults are the paper's values.

Where the paper is silent (network widths, resolution, the dimension reduction of ``F_Mixed``, the
augmentation ranges, the image score) the default is our choice; README.md lists each one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from synthad.methods.config_base import ScoreKernelConfig
from synthad.nn.backbones import check_feature_backbone, tap_channels
from synthad.utils.ranges import PositiveFloat, PositiveInt, Probability, Range, Seed


@dataclass(kw_only=True)
class Config(ScoreKernelConfig):
    """IMM + ALM configuration.

    Inherited from :class:`~synthad.methods.config_base.ScoreKernelConfig`: ``image_size`` (paper
    silent; 256, MVTec's usual), ``eval_batch_size``, ``score_kernel`` (the mean filter before the
    max for the image score; our choice, DRAEM's 21) and ``scale_score_kernel``.

    Attributes:
        backbone: Frozen feature network: ``"resnet18"`` (the paper's) or another
            :data:`~synthad.nn.backbones.FEATURE_BACKBONES` entry whose taps at strides 4, 8, 16 stand
            for stages 1-3 (``"efficientnet_lite0"``: packaged ImageNet weights, works offline).
        backbone_weights: Backbone weights: ``"imagenet"`` (the paper's, from the torch cache) or
            ``"random"`` (offline demo; built under a fixed seed).
        calibrate_backbone: Re-estimate the backbone's BatchNorm statistics on the aligned
            training images before the centre is computed (not in the paper; for ``"random"``
            weights, whose deeper stages otherwise output ever larger values).
        imm: Align every image to the template with the IMM before the ALM (Table 2 "IMM"; the
            paper turns it off on the already aligned MVTec AD, Table 3).
        imm_epochs: IMM training epochs (500); one epoch = ``ceil(N / imm_batch_size)`` batches.
        imm_batch_size: IMM images per step (32).
        imm_lr: IMM Adam learning rate (2e-4).
        imm_widths: Channels of ``N_P``'s conv blocks, each halving the size (paper silent).
        imm_hidden: Hidden units of ``N_R``'s regression head (paper silent).
        template_seed: Seed that picks the template ``I_T`` among the training images ("randomly
            sampled ... using a pre-specified random seed").
        imm_padding: ``grid_sample`` padding of warped images: ``"border"`` repeats the edge pixel
            (paper silent), ``"zeros"`` fills black.
        alm_epochs: ALM training epochs (300).
        batch_size: ALM images per step (32).
        lr: ALM Adam learning rate (1e-3).
        feature_stride: Stride of ``F_Mixed``: stages 1-3 are scaled to ``image_size / stride``
            (paper silent; 4 = stage 1's own size).
        feature_dim: Channels of ``F_M`` and ``F_C`` after the dimension reduction (paper silent).
        reduction: How ``F_Mixed`` (448 channels) is reduced to ``feature_dim`` for ``F_C``:
            ``"projection"`` (a fixed seeded Gaussian random projection) or ``"group_mean"``
            (mean of consecutive channel groups). The paper says only "dimensionality reduction".
        mapping_widths: Hidden widths of ``N_M`` (3x3 conv + BN + ReLU each, then a 1x1 conv to
            ``feature_dim``; paper silent).
        center: ``"feature_map"`` (local OCC, the paper) or ``"vector"`` (one global centre,
            Table 1's "Vector").
        dgm: Outlier exposure with the defect generation module and Eq. 5 (Table 2 "DGM");
            ``False`` trains with Eq. 3 on normal images only.
        margin: ``delta`` of Eq. 5 (0.1).
        balanced_loss: Average Eq. 5's two terms each over its own cells instead of over all
            cells (not in the paper; off by default). See README.md, "CPU demo budget".
        anomaly_prob: Probability of a DGM defect per sample (paper silent; 0.5).
        mask_threshold: A feature cell is defective in ``M_s`` when at least this fraction of its
            pixels is in ``M`` (paper: "a downscaled M"; area down-scaling, our threshold).
        augment: Random rotation + translation of the ALM's training images (Table 2 "AUG").
        augment_degrees: Rotation range ``U(-d, d)`` of the augmentation (paper silent).
        augment_shift: Translation range as a fraction of the side (paper silent).
    """

    backbone: str = "resnet18"
    backbone_weights: Literal["imagenet", "random"] = "imagenet"
    calibrate_backbone: bool = False
    imm: bool = True
    imm_epochs: PositiveInt = 500
    imm_batch_size: PositiveInt = 32
    imm_lr: PositiveFloat = 2e-4
    imm_widths: list[PositiveInt] = field(default_factory=lambda: [32, 64, 128, 128])
    imm_hidden: PositiveInt = 128
    template_seed: Seed = 0
    imm_padding: Literal["border", "zeros"] = "border"
    alm_epochs: PositiveInt = 300
    batch_size: PositiveInt = 32
    lr: PositiveFloat = 1e-3
    feature_stride: Literal[4, 8, 16] = 4
    feature_dim: PositiveInt = 128
    reduction: Literal["projection", "group_mean"] = "projection"
    mapping_widths: list[PositiveInt] = field(default_factory=lambda: [256, 256])
    center: Literal["feature_map", "vector"] = "feature_map"
    dgm: bool = True
    margin: Annotated[float, Range(gt=0, le=1)] = 0.1
    balanced_loss: bool = False
    anomaly_prob: Probability = 0.5
    mask_threshold: Annotated[float, Range(gt=0, le=1)] = 0.5
    augment: bool = False
    augment_degrees: Annotated[float, Range(ge=0, le=180)] = 30.0
    augment_shift: Annotated[float, Range(ge=0, lt=1)] = 0.1

    def __post_init__(self):
        if self.image_size < 32:
            raise ValueError(f"image_size must be >= 32, got {self.image_size}")
        if self.feature_stride not in (4, 8, 16) or self.image_size % self.feature_stride:
            raise ValueError(f"feature_stride must be 4, 8 or 16 and divide image_size,"
                             f" got {self.feature_stride}")
        counts = (self.imm_epochs, self.imm_batch_size, self.alm_epochs, self.batch_size, self.feature_dim,
                  self.imm_hidden, self.score_kernel, self.eval_batch_size)
        widths = self.imm_widths + self.mapping_widths
        if min(counts) < 1 or not self.imm_widths or min(widths) < 1:
            raise ValueError("epochs, batch sizes, widths, feature_dim, imm_hidden, score_kernel and"
                             " eval_batch_size must be >= 1 (imm_widths non-empty)")
        check_feature_backbone(self.backbone)
        mixed = sum(tap_channels(self.backbone, (4, 8, 16)))
        if self.feature_dim > mixed:
            raise ValueError(f"feature_dim reduces {self.backbone}'s {mixed} channels;"
                             f" got {self.feature_dim}")
        if not 0 < self.margin <= 1:
            raise ValueError(f"margin must be in (0, 1] (0.5 x cosine distance <= 1), got {self.margin}")
        if not (0 <= self.anomaly_prob <= 1 and 0 < self.mask_threshold <= 1):
            raise ValueError("anomaly_prob must be in [0, 1] and mask_threshold in (0, 1]")
        if self.augment_degrees < 0 or not 0 <= self.augment_shift < 1:
            raise ValueError("augment_degrees must be >= 0 and augment_shift in [0, 1)")
