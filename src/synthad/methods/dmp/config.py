"""DMP's hyper-parameters (Peng et al. 2024, Sec. 4.1); defaults are the paper's values.

Where the paper is silent the defaults are DRAEM's (its base; docs/official-code.md#draem) or RepLKNet-31B's
(the encoder the paper names); README.md lists each such choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from synthad.methods.config_base import ScoreKernelConfig
from synthad.utils.ranges import (
    DecayFactor,
    NonNegativeFloat,
    NonNegativeInt,
    PerlinScale,
    PerlinThreshold,
    PositiveFloat,
    PositiveInt,
    Probability,
)


@dataclass(kw_only=True)
class Config(ScoreKernelConfig):
    """DMP configuration.

    Inherited from :class:`~synthad.methods.config_base.ScoreKernelConfig`: ``image_size`` (256, a
    multiple of 32), ``eval_batch_size``, ``score_kernel`` (the mean filter ``s_f`` of Eq. 10; paper
    silent: DRAEM's 21) and ``scale_score_kernel``.

    Attributes:
        epochs: Training epochs; one epoch = ``ceil(N_train / batch_size)`` random batches (700).
        batch_size: Images per step (paper silent; DRAEM's 8).
        lr: Adam learning rate (1e-4).
        lr_milestones: Epochs where the LR is multiplied by ``lr_gamma`` *out of*
            ``lr_milestones_of`` epochs ([400, 600] of 700); with other ``epochs`` they scale to
            ``round(m * epochs / lr_milestones_of)``, keeping the paper's fractions.
        lr_milestones_of: The epoch count the milestones refer to (700).
        lr_gamma: LR decay factor (0.1).
        rec_base_width: Autoencoder width ``w`` (paper silent; DRAEM's 128).
        lambda1: SSIM weight in ``L_vision`` (1).
        lambda2: ``L_vision`` weight in ``L_rec`` (0.8).
        lambda3: Deep-feature L1 weight in ``L_rec`` (0.2).
        focal_gamma: Focal-loss gamma (paper silent; DRAEM's 2).
        deep_features: Use the deep-feature extractor and ``L_deep`` (Table 4 "Deep Features").
        copy_params: Copy the encoder into the extractor before every step, no gradient (paper);
            ``False`` trains the extractor by gradient (Table 4, row 8).
        large_kernel: RepLKNet U-Net as defect-prediction network (paper); ``False`` uses DRAEM's
            discriminative U-Net (Table 4 "Large Kernel").
        anomaly_source: ``"dataset"``: Eq. 2 with defect-free training images of every category
            of the data set as sources (paper; Table 4 "Abnormal Appearance: MVTec AD");
            ``"draem"``: DRAEM's own synthesis from a textures bank (DTD; Table 4 "DTD", rows 1-3:
            DRAEM's augmenters, opacity and Perlin masks over the whole image, no foregrounds;
            ``beta_min``/``beta_max`` do not apply); ``"textures"``: Eq. 2 with a texture as the
            source (foregrounds kept; not a paper row: the CPU demo's source).
        lk_channels: RepLKNet stage widths (stem output = first; paper: 128 at 64x64 -> 31B's
            128, 256, 512, 1024).
        lk_layers: Blocks per stage (paper silent; RepLKNet-31B's 2, 2, 18, 2).
        lk_kernels: Large kernels per stage (31, 29, 27, 13).
        small_kernel: Re-parameterised parallel small kernel (paper silent; RepLKNet's 5).
        ffn_ratio: ConvFFN expansion (RepLKNet's 4).
        disc_base_width: Width of DRAEM's U-Net when ``large_kernel`` is off (64).
        anomaly_prob: Probability of an anomaly per sample (paper silent; DRAEM's 0.5).
        rotate_prob: Probability of the rotation augmentation by U(-90, 90) degrees (paper: "image
            rotation", no details; DRAEM's 0.3).
        beta_min: Lower bound of ``beta``, the source's weight in Eq. 2 (0; not used by
            ``anomaly_source: draem``, whose opacity is DRAEM's).
        beta_max: Exclusive upper bound of ``beta`` (0.8).
        perlin_min_scale: Minimum Perlin lattice exponent (DRAEM's 0).
        perlin_max_scale: Exclusive maximum Perlin lattice exponent (DRAEM's 6).
        perlin_threshold: Perlin binarisation threshold (DRAEM's 0.5).
    """

    epochs: PositiveInt = 700
    batch_size: PositiveInt = 8
    lr: PositiveFloat = 1e-4
    lr_milestones: list[NonNegativeInt] = field(default_factory=lambda: [400, 600])
    lr_milestones_of: PositiveInt = 700
    lr_gamma: DecayFactor = 0.1
    rec_base_width: PositiveInt = 128
    lambda1: NonNegativeFloat = 1.0
    lambda2: NonNegativeFloat = 0.8
    lambda3: NonNegativeFloat = 0.2
    focal_gamma: NonNegativeFloat = 2.0
    deep_features: bool = True
    copy_params: bool = True
    large_kernel: bool = True
    anomaly_source: Literal["dataset", "draem", "textures"] = "dataset"
    lk_channels: list[PositiveInt] = field(default_factory=lambda: [128, 256, 512, 1024])
    lk_layers: list[NonNegativeInt] = field(default_factory=lambda: [2, 2, 18, 2])
    lk_kernels: list[PositiveInt] = field(default_factory=lambda: [31, 29, 27, 13])
    small_kernel: PositiveInt = 5
    ffn_ratio: PositiveInt = 4
    disc_base_width: PositiveInt = 64
    anomaly_prob: Probability = 0.5
    rotate_prob: Probability = 0.3
    beta_min: Probability = 0.0
    beta_max: Probability = 0.8
    perlin_min_scale: PerlinScale = 0
    perlin_max_scale: PerlinScale = 6
    perlin_threshold: PerlinThreshold = 0.5

    def __post_init__(self):
        if self.image_size % 32 or self.image_size < 32:
            raise ValueError(f"image_size must be a positive multiple of 32, got {self.image_size}")
        sizes = (self.epochs, self.batch_size, self.rec_base_width, self.disc_base_width, self.ffn_ratio,
                 self.lr_milestones_of, self.eval_batch_size, self.score_kernel, self.small_kernel)
        if min(sizes) < 1:
            raise ValueError("epochs, batch_size, widths, ffn_ratio, lr_milestones_of, eval_batch_size and"
                             " score_kernel, small_kernel must be >= 1")
        if not len(self.lk_channels) == len(self.lk_layers) == len(self.lk_kernels) >= 1:
            raise ValueError("lk_channels, lk_layers and lk_kernels need the same number (>= 1) of stages")
        if min(self.lk_channels) < 1 or min(self.lk_layers) < 0:
            raise ValueError("lk_channels must be >= 1 and lk_layers >= 0")
        if any(k % 2 == 0 or k < self.small_kernel for k in self.lk_kernels) or self.small_kernel % 2 == 0:
            raise ValueError(f"kernels must be odd and >= small_kernel ({self.small_kernel}),"
                             f" got {self.lk_kernels}")
        if not 0 <= self.beta_min <= self.beta_max <= 1:
            raise ValueError(f"need 0 <= beta_min <= beta_max <= 1, got {self.beta_min}, {self.beta_max}")
        if not (0 <= self.anomaly_prob <= 1 and 0 <= self.rotate_prob <= 1):
            raise ValueError("anomaly_prob and rotate_prob must be probabilities")
        if self.perlin_min_scale >= self.perlin_max_scale:
            raise ValueError("perlin_min_scale must be < perlin_max_scale")
        if any(m < 0 for m in self.lr_milestones) or min(self.lambda1, self.lambda2, self.lambda3) < 0:
            raise ValueError("lr_milestones and the lambdas must be >= 0")

    def milestone_epochs(self) -> list[int]:
        """The LR milestones at this run's ``epochs``: ``round(m * epochs / lr_milestones_of)``."""
        return [round(m * self.epochs / self.lr_milestones_of) for m in self.lr_milestones]
