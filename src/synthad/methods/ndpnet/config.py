"""NDP-Net's configuration: defaults are the paper's values where it gives them (Luo, Yao, Yu, Sec. III-IV).

Values the paper does not give (widths, batch size, DSM width) are marked "ours" and listed in the
README ("Deviations / choices").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from synthad.methods.config_base import NetworkConfig
from synthad.nn.backbones import FEATURE_BACKBONES
from synthad.utils.ranges import NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt, Range


@dataclass(kw_only=True)
class Config(NetworkConfig):
    """NDP-Net hyper-parameters.

    Inherited from :class:`~synthad.methods.config_base.NetworkConfig`: ``eval_batch_size``, and
    ``image_size``, redeclared here with its own minimum.

    Attributes:
        image_size: Training and inference side, a multiple of 16 (256).
        phase1_epochs: Training phase 1 (encoder + decoder, Eq. 14) epochs (400). One epoch =
            ``ceil(N_train / batch_size)`` batches of randomly drawn training images.
        phase2_epochs: Training phase 2 (RBAM + decoder + MSDSM, frozen encoder, Eq. 17) epochs (200).
        batch_size: Pairs per step (ours: 8; the paper does not say).
        lr: Adam learning rate of both phases (1e-4).
        weight_decay: Adam weight decay (1e-5).
        base_width: Encoder width ``w``; layers ``w, 2w, 4w, 8w, 8w`` (ours: 64).
        w_rec: Weight of the L2 reconstruction loss in both phases (100).
        w_per: Weight of the perceptual loss in both phases (1).
        w_def_per: Weight of ``L_def_per`` in phase 1 (1).
        w_fea_rep: Weight of ``L_fea_rep`` in phase 2 (1).
        w_seg: Weight of ``L_seg`` in phase 2 (1).
        perceptual_weights: VGG16 weights of the perceptual loss: ``"imagenet"`` (the paper; from the
            torchvision cache), ``"random"`` (fixed random VGG16, the offline fallback) or ``"none"``
            (drop the perceptual term).
        perceptual_backbone: Network of the perceptual loss: ``"vgg16"`` (the paper's five ReLUs) or
            a :data:`~synthad.nn.backbones.FEATURE_BACKBONES` entry (its taps at strides 2, 4, 8;
            ``"efficientnet_lite0"`` has packaged ImageNet weights that work offline).
        patch_sizes: RBFRM patch sizes ``K`` (2, 4).
        ffm_channels: FFM compressed channels (64).
        ffm_kernel: FFM kernel side ``m`` (5).
        softmax_scale: Factor on the cosine similarity before the RBFRM softmax (Eq. 4: 1).
        dsm_width: Hidden width of each DSM head (ours: 64).
        msdsm_weights: ``lambda_1..3`` of Eq. 11 (0.2, 0.2, 0.6).
        filter_size: Side of the mean and median filters on ``AM_final`` at 256 px (5; the paper
            resizes every image to 256).
        scale_filter_size: Scale ``filter_size`` to ``image_size`` (odd, >= 1: 1 at 64 px, 3 at
            128 px, 5 at 256 px), so the filters cover the paper's fraction of the image.
        use_def_per: ``False``: Table VI column C (phase 1 without ``L_def_per``).
        use_rbam: ``False``: Table VI column B (no RBAM, no ``L_fea_rep``).
        segmentation: ``"msdsm"`` (the method), ``"pixel_gap"`` (Table VI column D) or ``"ssim"``
            (column F): the latter two train no MSDSM and score ``|I - I_b|`` / ``1 - SSIM``.
        phase2_anomaly_prob: Share of phase-2 samples that carry an artificial defect (1.0: the
            paper's pairs, every sample defective). Below 1, the rest are defect-free images with an
            empty mask, so MSDSM also sees normal inputs (our demo option, not the paper's).
    """

    image_size: Annotated[int, Range(ge=16)] = 256  # and a multiple of 16 (four halvings)
    phase1_epochs: NonNegativeInt = 400  # 0 skips the phase (at least one epoch in total)
    phase2_epochs: NonNegativeInt = 200
    batch_size: PositiveInt = 8
    lr: PositiveFloat = 1e-4
    weight_decay: NonNegativeFloat = 1e-5
    base_width: PositiveInt = 64
    w_rec: NonNegativeFloat = 100.0
    w_per: NonNegativeFloat = 1.0
    w_def_per: NonNegativeFloat = 1.0
    w_fea_rep: NonNegativeFloat = 1.0
    w_seg: NonNegativeFloat = 1.0
    perceptual_weights: Literal["imagenet", "random", "none"] = "imagenet"
    perceptual_backbone: str = "vgg16"
    patch_sizes: list[PositiveInt] = field(default_factory=lambda: [2, 4])
    ffm_channels: PositiveInt = 64
    ffm_kernel: PositiveInt = 5  # and odd: the FFM's convolutions keep the size
    softmax_scale: PositiveFloat = 1.0
    dsm_width: PositiveInt = 64
    msdsm_weights: list[NonNegativeFloat] = field(default_factory=lambda: [0.2, 0.2, 0.6])
    filter_size: PositiveInt = 5
    scale_filter_size: bool = True
    use_def_per: bool = True
    use_rbam: bool = True
    segmentation: Literal["msdsm", "pixel_gap", "ssim"] = "msdsm"
    phase2_anomaly_prob: Annotated[float, Range(gt=0, le=1)] = 1.0

    def __post_init__(self):
        if self.image_size % 16 or self.image_size < 16:
            raise ValueError(f"image_size must be a positive multiple of 16, got {self.image_size}")
        if min(self.batch_size, self.base_width, self.ffm_channels, self.dsm_width, self.ffm_kernel) < 1:
            raise ValueError("batch_size, base_width, ffm_channels, dsm_width and ffm_kernel must be >= 1")
        if self.ffm_kernel % 2 == 0:  # padding m // 2 keeps the size only for odd m
            raise ValueError(f"ffm_kernel must be odd, got {self.ffm_kernel}")
        if min(self.phase1_epochs, self.phase2_epochs) < 0 or self.phase1_epochs + self.phase2_epochs < 1:
            raise ValueError("phase epochs must be >= 0 with at least one epoch in total")
        if not self.patch_sizes or min(self.patch_sizes) < 1:
            raise ValueError(f"patch_sizes must be positive, got {self.patch_sizes}")
        if len(self.msdsm_weights) != 3:
            raise ValueError(f"msdsm_weights needs 3 values (one per scale), got {self.msdsm_weights}")
        if not 0.0 < self.phase2_anomaly_prob <= 1.0:
            raise ValueError(f"phase2_anomaly_prob must be in (0, 1], got {self.phase2_anomaly_prob}")
        if self.perceptual_backbone not in ("vgg16", *FEATURE_BACKBONES):
            raise ValueError(f"perceptual_backbone must be vgg16 or one of {', '.join(FEATURE_BACKBONES)},"
                             f" got {self.perceptual_backbone!r}")
        if self.filter_size < 1 or self.filter_size % 2 == 0:
            raise ValueError(f"filter_size must be odd and >= 1, got {self.filter_size}")
