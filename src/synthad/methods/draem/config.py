"""DRAEM's hyper-parameters (Zavrtanik et al., ICCV 2021); defaults are the paper's / official code's values.

README.md in this folder maps them to the paper and the official code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from synthad.methods.config_base import ScoreKernelConfig
from synthad.utils.ranges import (
    DecayFactor,
    Fraction,
    PerlinScale,
    PerlinThreshold,
    PositiveFloat,
    PositiveInt,
    Probability,
    Range,
)


@dataclass(kw_only=True)
class Config(ScoreKernelConfig):
    """DRAEM hyper-parameters.

    Inherited from :class:`~synthad.methods.config_base.ScoreKernelConfig`: ``image_size`` (256, a
    multiple of 32: five halvings), ``eval_batch_size``, ``score_kernel`` (21, the official test
    code) and ``scale_score_kernel``.

    Attributes:
        epochs: Training epochs; one epoch = ``ceil(N_train / batch_size)`` random batches (700).
        batch_size: Images per step (8).
        lr: Adam learning rate of both sub-networks (1e-4).
        lr_milestones: Fractions of ``epochs`` where the LR is multiplied by ``lr_gamma`` ([0.8, 0.9]).
        lr_gamma: LR decay factor (0.2).
        rec_base_width: Width of the reconstructive sub-network (128).
        disc_base_width: Width of the discriminative sub-network (64).
        anomaly_prob: Probability that a training sample gets a synthetic anomaly (0.5).
        rotate_prob: Probability of rotating the normal image by U(-90, 90) degrees (0.3).
        beta_min: Lower bound of beta; the texture opacity is ``1 - beta`` (0.0).
        beta_max: Upper bound of beta (0.8).
        n_augmenters: Texture augmenters applied per anomaly, of DRAEM's 10 (3).
        anomaly_source: Bank kind the pasted sources come from: ``"textures"`` (DTD or the built-in
            set; the paper), ``"natural"`` or ``"sdas"`` (RealNet's SDAS samples or SIA images,
            for the "DRAEM + SDAS" comparison).
        perlin_min_scale: Minimum exponent of the Perlin lattice (0).
        perlin_max_scale: Exclusive maximum exponent of the Perlin lattice (6).
        perlin_threshold: Perlin binarisation threshold (0.5).
    """

    epochs: PositiveInt = 700
    batch_size: PositiveInt = 8
    lr: PositiveFloat = 1e-4
    lr_milestones: list[Fraction] = field(default_factory=lambda: [0.8, 0.9])
    lr_gamma: DecayFactor = 0.2
    rec_base_width: PositiveInt = 128
    disc_base_width: PositiveInt = 64
    anomaly_prob: Probability = 0.5
    rotate_prob: Probability = 0.3
    beta_min: Probability = 0.0
    beta_max: Probability = 0.8
    n_augmenters: Annotated[int, Range(ge=1, le=10)] = 3  # of DRAEM's 10 augmenters
    anomaly_source: Literal["textures", "natural", "sdas"] = "textures"
    perlin_min_scale: PerlinScale = 0
    perlin_max_scale: PerlinScale = 6
    perlin_threshold: PerlinThreshold = 0.5

    def __post_init__(self):
        if self.image_size % 32 or self.image_size < 32:
            raise ValueError(f"image_size must be a positive multiple of 32, got {self.image_size}")
        if min(self.epochs, self.batch_size, self.rec_base_width, self.disc_base_width) < 1:
            raise ValueError("epochs, batch_size and the base widths must be >= 1")
        if not 0 <= self.beta_min <= self.beta_max <= 1:
            raise ValueError(f"need 0 <= beta_min <= beta_max <= 1, got {self.beta_min}, {self.beta_max}")
        if not 0 < self.n_augmenters <= 10 or self.perlin_min_scale >= self.perlin_max_scale:
            raise ValueError("n_augmenters must be in 1..10 and perlin_min_scale < perlin_max_scale")
