"""SLSG's hyper-parameters (Yang, Liu et al., Sec. 4.2); defaults are the paper's values.

Where the paper is silent the defaults come from the authors' released code (docs/official-code.md#slsg)
or are our choice; README.md lists each. The ablation switches of Tables 4-7 are fields here, so an
ablation is a ``params.yaml`` override.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from synthad.methods.config_base import NetworkConfig
from synthad.nn.backbones import check_feature_backbone
from synthad.utils.ranges import (
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    Probability,
    Range,
)


@dataclass(kw_only=True)
class Config(NetworkConfig):
    """SLSG configuration.

    Inherited from :class:`~synthad.methods.config_base.NetworkConfig`: ``image_size`` (256, a
    multiple of 16) and ``eval_batch_size``.

    Attributes:
        backbone: Encoder architecture: ``"resnet18"`` without its max-pool (the paper's) or another
            :data:`~synthad.nn.backbones.FEATURE_BACKBONES` entry whose taps at strides 2, 4, 8, 16
            stand for layer1-4 (``"efficientnet_lite0"``: packaged ImageNet weights, works offline).
        backbone_weights: Start of the ResNet18 that GPT-Net pre-trains (paper silent; ImageNet, as the
            official code's fallback); ``"random"`` runs offline.
        encoder_init: SegNet encoder init when ``fit`` gets no pre-trained file: ``"gptnet"`` runs
            the GPT-Net pre-training inline (paper); ``"imagenet"`` / ``"random"`` skip it (Table 4
            "ImageNet" column / offline control).
        freeze_encoder: Keep the SegNet encoder fixed (official code; the paper is silent).
        decoder_widths: Widths of the four up-sampling blocks of both decoders (symmetric to
            ResNet18: 256, 128, 64, 64).
        pretrain_epochs: GPT-Net epochs; one epoch = ``ceil(N / pretrain_batch_size)`` steps (40).
        pretrain_batch_size: GPT-Net batch (6).
        lr_generator: Adam learning rate of GPT-Net (1e-3).
        lr_discriminator: Adam learning rate of D-Net (6e-4).
        alpha_adv, alpha_l1, alpha_aux_rec: ``alpha_1..3`` of Eq. 10 (1, 0.8, 1).
        disc_width: Width of D-Net's first convolution group (64; widths double per group).
        grid_cells: Grid cells per side of the grid mask, ``S`` (8; Table 4: 4, 16).
        grid_ratio: Fraction of grid cells masked, ``p`` (0.8; Table 4: 0.6, 0.9).
        large_mask: Superimpose a large random rectangle (paper; Table 4 "No" turns it off).
        large_mask_min, large_mask_max: Its side range at 256 px (40, 150); scaled by ``image_size/256``.
        steps: SegNet SGD iterations (3,500).
        normal_per_batch, anomalous_per_batch: Normal and simulated images per batch (4, 4).
        lr: SegNet SGD learning rate (0.04); cosine-annealed to 0 over ``steps`` (code).
        momentum, weight_decay: SGD (code: 0.9, 3e-5).
        focal_gamma: ``gamma`` of the focal loss (4).
        alpha_focal, alpha_l1_seg, alpha_aux_seg: ``alpha_4..6`` of Eq. 11 (0.4, 0.6, 0.3); 0 drops
            the term (Table 7).
        graph: SG block branches: ``"both"`` (SLSG), ``"attention"`` / ``"gcn"`` only (Table 6, 3/4),
            ``"none"`` (U-Net baseline).
        top_k: Neighbours per node of the sparse graph, ``K`` (9; Table 6: 7, 11).
        eliminate_position: Subtract ``W_p`` (Eq. 5); ``False`` is Table 6, experiment 5.
        attention_reduction: ``z`` of Eq. 2, query/key width ``C / z`` (2, the code's 512 -> 256).
        pos_dim: Width ``C_p`` of the 2-D sine-cosine position encoding (our choice: 64).
        bottleneck_skip: Feed ``X'`` to every decoder block (Table 6 "Bottleneck Skip").
        skip_channels: Width ``X'`` is projected to before those skips (code's aux features: 32).
        structural, logical, foreground: Anomaly-simulation branches and foreground enhancement
            (Table 5 ablations).
        texture_prob: Within the structural branch, texture vs permuted source (synthesizer: 0.5).
        score_top_k: Image score = mean of this many most anomalous pixels at 256 px (100).
        scale_score_top_k: Scale ``score_top_k`` with the image area, ``(image_size / 256)^2``.
        log_every: SegNet steps per ``train_log.csv`` row and checkpoint unit (100, the code's eval
            interval).
    """

    backbone: str = "resnet18"
    backbone_weights: Literal["imagenet", "random"] = "imagenet"
    encoder_init: Literal["gptnet", "imagenet", "random"] = "gptnet"
    freeze_encoder: bool = True
    decoder_widths: list[PositiveInt] = field(default_factory=lambda: [256, 128, 64, 64])
    pretrain_epochs: PositiveInt = 40
    pretrain_batch_size: PositiveInt = 6
    lr_generator: PositiveFloat = 1e-3
    lr_discriminator: PositiveFloat = 6e-4
    alpha_adv: NonNegativeFloat = 1.0
    alpha_l1: NonNegativeFloat = 0.8
    alpha_aux_rec: NonNegativeFloat = 1.0
    disc_width: PositiveInt = 64
    grid_cells: PositiveInt = 8
    grid_ratio: Probability = 0.8
    large_mask: bool = True
    large_mask_min: PositiveInt = 40
    large_mask_max: PositiveInt = 150
    steps: PositiveInt = 3500
    normal_per_batch: NonNegativeInt = 4
    anomalous_per_batch: PositiveInt = 4
    lr: PositiveFloat = 0.04
    momentum: Annotated[float, Range(ge=0, lt=1)] = 0.9
    weight_decay: NonNegativeFloat = 3e-5
    focal_gamma: NonNegativeFloat = 4.0
    alpha_focal: NonNegativeFloat = 0.4
    alpha_l1_seg: NonNegativeFloat = 0.6
    alpha_aux_seg: NonNegativeFloat = 0.3
    graph: Literal["both", "attention", "gcn", "none"] = "both"
    top_k: PositiveInt = 9
    eliminate_position: bool = True
    attention_reduction: PositiveInt = 2
    pos_dim: Annotated[int, Range(ge=4)] = 64
    bottleneck_skip: bool = True
    skip_channels: PositiveInt = 32
    structural: bool = True
    logical: bool = True
    foreground: bool = True
    texture_prob: Probability = 0.5
    score_top_k: PositiveInt = 100
    scale_score_top_k: bool = True
    log_every: PositiveInt = 100

    def __post_init__(self):
        if self.image_size % 16 or self.image_size < 32:
            raise ValueError(f"image_size must be a multiple of 16 and >= 32, got {self.image_size}")
        sizes = (self.pretrain_epochs, self.pretrain_batch_size, self.disc_width, self.grid_cells, self.steps,
                 self.top_k, self.attention_reduction, self.skip_channels, self.score_top_k, self.log_every,
                 self.eval_batch_size, self.anomalous_per_batch)
        if min(sizes) < 1 or self.normal_per_batch < 0:
            raise ValueError("epochs, batch sizes, widths, grid_cells, steps, top_k, score_top_k and"
                             " log_every must be >= 1 (normal_per_batch >= 0)")
        check_feature_backbone(self.backbone)
        if len(self.decoder_widths) != 4 or min(self.decoder_widths) < 1:
            raise ValueError(f"decoder_widths needs four widths >= 1, got {self.decoder_widths}")
        if self.pos_dim % 4 or self.pos_dim < 4:
            raise ValueError(f"pos_dim must be a positive multiple of 4, got {self.pos_dim}")
        if not 0 <= self.grid_ratio <= 1 or not 0 <= self.texture_prob <= 1:
            raise ValueError("grid_ratio and texture_prob must be in [0, 1]")
        if not 1 <= self.large_mask_min <= self.large_mask_max:
            raise ValueError("need 1 <= large_mask_min <= large_mask_max")
        if not (self.structural or self.logical):
            raise ValueError("at least one of structural and logical anomaly simulation must be on")
        weights = (self.alpha_adv, self.alpha_l1, self.alpha_aux_rec, self.alpha_focal, self.alpha_l1_seg,
                   self.alpha_aux_seg)
        if min(weights) < 0:
            raise ValueError("loss weights must be >= 0")

    def logical_prob(self) -> float:
        """Probability of the logical branch: 0.5 with both branches (Sec. 4.2), else 0 or 1."""
        if self.structural and self.logical:
            return 0.5
        return 1.0 if self.logical else 0.0

    def score_pixels(self) -> int:
        """Pixels averaged for the image score at ``image_size`` (>= 1)."""
        k = self.score_top_k
        if self.scale_score_top_k:
            k = round(k * (self.image_size / 256) ** 2)
        return max(1, k)

    def large_mask_range(self) -> tuple[int, int]:
        """Side range of the large mask at ``image_size`` (40-150 px at 256, scaled; >= 1)."""
        scale = self.image_size / 256
        return max(1, round(self.large_mask_min * scale)), max(1, round(self.large_mask_max * scale))
