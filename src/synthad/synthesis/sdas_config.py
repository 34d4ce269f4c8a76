"""RealNet's SDAS settings (:class:`SdasConfig`) and reading the ``synthesis.sdas`` section into them.

Apart from :mod:`synthad.synthesis.sdas` because that module imports diffusers (3 s, torch's
compiler included): Snakemake validates ``params.yaml`` with this class on every start, a dry run
included.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated

from synthad.config import build
from synthad.errors import ConfigError
from synthad.utils.ranges import NonNegativeFloat, PositiveFloat, PositiveInt, Range

# Keys that only change sampling: editing them re-samples the bank but never re-trains the model.
SAMPLING_KEYS = ("sampling_steps", "strength_min", "strength_max", "strength_batch", "n_samples",
                 "sample_batch_size", "guidance_scale")
# Keys only the guidance classifier reads: editing them never re-trains the diffusion model.
CLASSIFIER_KEYS = ("classifier_block_out_channels", "classifier_train_steps", "classifier_batch_size",
                   "classifier_init_checkpoint")


def classifier_slice(section: dict | None) -> dict:
    """What the guidance classifier's job reads: every key but the sampling ones.

    The diffusion keys stay in: the classifier shares the U-Net's block settings, and checking the
    section needs them all (a diffusion-only edit re-trains the classifier too, the cheaper model).
    """
    return {k: v for k, v in (section or {}).items() if k not in SAMPLING_KEYS}


def diffusion_slice(section: dict | None) -> dict:
    """What the diffusion model's job reads: no sampling key, no classifier key.

    ``guidance_scale: 0`` tells the config that no classifier is built here, so the classifier keys
    (left at their defaults) are not checked against this section's image size.
    """
    kept = {k: v for k, v in classifier_slice(section).items() if k not in CLASSIFIER_KEYS}
    return kept | {"guidance_scale": 0.0}


def load_sdas_config(text: str) -> SdasConfig:
    """JSON slice -> validated ``SdasConfig`` (RealNet's values for every key not given).

    Raises:
        ConfigError: Not JSON, an unknown key, a wrong type or an invalid value, naming the key.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"synthesis.sdas: not valid JSON: {exc}") from exc
    return build(SdasConfig, data, "synthesis.sdas")


SUPPORTED_VARIANCE = ("learned_range", "fixed_small")


@dataclass
class SdasConfig:
    """SDAS diffusion settings; the defaults are RealNet's paper-scale values.

    Official-code details: docs/official-code.md#realnet-sdas-training.

    Attributes:
        image_size: Training and sampling resolution (square).
        block_out_channels: U-Net width per resolution level (ADM ``model_channels * channel_mult``).
        layers_per_block: Residual blocks per level (ADM ``num_res_blocks``).
        attention_resolutions: Feature-map sizes (pixels) whose levels get self-attention.
        attention_head_dim: Channels per attention head (ADM ``num_head_channels``).
        norm_num_groups: GroupNorm groups (ADM ``GroupNorm32``).
        dropout: Dropout in the residual blocks.
        num_train_timesteps: T of the forward process.
        beta_start: First beta of the linear schedule.
        beta_end: Last beta of the linear schedule.
        variance_type: ``learned_range`` (improved-DDPM, 6 output channels) or ``fixed_small``.
        prediction_type: What the U-Net predicts: ``epsilon`` (RealNet/ADM) or ``v_prediction``
            (``v = sqrt(abar) eps - sqrt(1 - abar) x_0``). With eps, an error in the prediction at
            high ``t`` is amplified ~1/sqrt(abar) (about 60x at t = 950) in ``x_0``, so a short CPU
            run gets the global colour wrong; v keeps that error at 1x (used by the demo setting).
        sampling_steps: Respaced reverse steps (20 -> timesteps {950, 900, ..., 0}).
        strength_min: Lower bound of the uniform anomaly strength ``s``.
        strength_max: Upper bound of ``s``.
        strength_batch: Consecutive images that share one drawn ``s`` (RealNet: its batch of 16).
        train_steps: Optimiser steps. 14500 is RealNet's MVTec run: epoch 240 x 182 micro-batches of
            5 x 4 GPUs / gradient accumulation 3 ~= 14.5k steps at an effective batch of 60
            (official RealNet code, see methods/realnet/README.md "SDAS"), for one model of the
            data set's 15 categories, as here.
        batch_size: Images per optimiser step (RealNet's effective batch, 5 x 4 GPUs x 3).
        micro_batch_size: Images per forward pass; gradients are accumulated up to ``batch_size``.
        lr: Adam learning rate.
        grad_clip: Maximal global gradient norm.
        ema_decay: Upper bound of the EMA decay of the weights used for sampling.
        n_samples: Images sampled per category: 10,000, the paper's SIA set (Sec. 3.4; the official
            ``sample.yaml`` says ``sample_number: 256``).
        sample_batch_size: Images per sampling forward pass (memory only; samples do not depend on it).
        guidance_scale: Classifier guidance (the official ``sample.py``: on, ``classifier_scale``
            1.0): every reverse step's mean moves by ``scale * Sigma_t * grad_x log p(y | x_t)``, a
            noisy classifier's log-probability of the category. 0: no guidance, no classifier.
            Only a model of two or more categories is guided (a one-category model has no classes).
        classifier_block_out_channels: The noisy classifier's width per level (ADM
            ``EncoderUNetModel``: ``classifier_width`` 128 x ``channel_mult`` (1, 1, 2, 2, 4, 4));
            its blocks per level, attention sizes, head width and groups are the U-Net's (the
            official values coincide). Checked only when ``guidance_scale > 0``.
        classifier_train_steps: Its optimiser steps: the official MVTec checkpoint, epoch 428 x 91
            steps (3629 images / 2 GPUs x 20) ~= 39k.
        classifier_batch_size: Its images per step (2 GPUs x 20); ``micro_batch_size`` per pass.
        init_checkpoint: Weights the U-Net starts from (the paper fine-tunes OpenAI's ImageNet
            ``256x256_diffusion.pt``, which cannot be had offline): a state dict of this U-Net
            (``.safetensors``, ``.pt``) or a folder written by ``save_unet``. A class embedding of
            another class count is skipped (the official loader skips ImageNet's 1000 classes);
            any other mismatch is an error naming the file. ``None``: random initialisation.
        classifier_init_checkpoint: The same for the classifier (official: ``256x256_classifier.pt``);
            its class head may differ.
    """

    image_size: PositiveInt = 256
    block_out_channels: list[PositiveInt] = field(default_factory=lambda: [256, 256, 512, 512, 1024, 1024])
    layers_per_block: PositiveInt = 2
    attention_resolutions: list[PositiveInt] = field(default_factory=lambda: [32, 16, 8])
    attention_head_dim: PositiveInt = 64
    norm_num_groups: PositiveInt = 32
    dropout: Annotated[float, Range(ge=0, lt=1)] = 0.0
    num_train_timesteps: Annotated[int, Range(ge=2)] = 1000
    beta_start: Annotated[float, Range(gt=0, lt=1)] = 1e-4
    beta_end: Annotated[float, Range(gt=0, lt=1)] = 0.02
    variance_type: str = "learned_range"
    prediction_type: str = "epsilon"
    sampling_steps: PositiveInt = 20
    strength_min: NonNegativeFloat = 0.1
    strength_max: NonNegativeFloat = 0.2
    strength_batch: PositiveInt = 16
    train_steps: PositiveInt = 14500
    batch_size: PositiveInt = 60
    micro_batch_size: PositiveInt = 5
    lr: PositiveFloat = 1e-4
    grad_clip: PositiveFloat = 1.0
    ema_decay: Annotated[float, Range(ge=0, lt=1)] = 0.9999
    n_samples: PositiveInt = 10000
    sample_batch_size: PositiveInt = 16
    guidance_scale: NonNegativeFloat = 1.0
    classifier_block_out_channels: list[PositiveInt] = field(
        default_factory=lambda: [128, 128, 256, 256, 512, 512])
    classifier_train_steps: PositiveInt = 39000
    classifier_batch_size: PositiveInt = 40
    init_checkpoint: str | None = None
    classifier_init_checkpoint: str | None = None

    def __post_init__(self):
        self.block_out_channels = [int(c) for c in self.block_out_channels]
        self.attention_resolutions = [int(r) for r in self.attention_resolutions]
        self._check_unet()
        self._check_diffusion()
        self._check_training()
        self.classifier_block_out_channels = [int(c) for c in self.classifier_block_out_channels]
        if self.guidance_scale > 0:  # unused without guidance: a diffusion-only job never checks them
            self._check_classifier()

    def level_sizes(self) -> list[int]:
        """Feature-map size of each U-Net level, e.g. ``[256, 128, 64, 32, 16, 8]``."""
        return [self.image_size >> level for level in range(len(self.block_out_channels))]

    def _check_unet(self) -> None:
        widths, groups, head = self.block_out_channels, self.norm_num_groups, self.attention_head_dim
        _require(len(widths) > 0, "block_out_channels must list at least one width")
        _require(self.image_size > 0 and self.image_size % (1 << (len(widths) - 1)) == 0,
                 f"image_size {self.image_size} must be a positive multiple of 2**{len(widths) - 1} "
                 f"(one halving per level of block_out_channels after the first)")
        _require(groups >= 1 and all(c >= 1 and c % groups == 0 for c in widths),
                 f"every width in block_out_channels {widths} must be a positive multiple of "
                 f"norm_num_groups {groups}")
        sizes = self.level_sizes()
        _require(all(r in sizes for r in self.attention_resolutions),
                 f"attention_resolutions {self.attention_resolutions} must be among the level sizes {sizes}")
        # the mid block always has attention, so the last level's width must split into heads too
        attended = [c for c, r in zip(widths, sizes, strict=True) if r in self.attention_resolutions]
        _require(head >= 1 and all(c % head == 0 for c in [*attended, widths[-1]]),
                 f"attention_head_dim {head} must divide the widths of the attention levels and the last")
        _require(self.layers_per_block >= 1, f"layers_per_block must be >= 1, got {self.layers_per_block}")
        _require(0 <= self.dropout < 1, f"dropout must be in [0, 1), got {self.dropout}")

    def _check_diffusion(self) -> None:
        _require(self.num_train_timesteps >= 2,
                 f"num_train_timesteps must be >= 2, got {self.num_train_timesteps}")
        _require(0 < self.beta_start < self.beta_end < 1,
                 f"need 0 < beta_start < beta_end < 1, got {self.beta_start}, {self.beta_end}")
        _require(self.prediction_type in ("epsilon", "v_prediction"),
                 f"prediction_type must be 'epsilon' or 'v_prediction', got {self.prediction_type!r}")
        _require(self.variance_type in SUPPORTED_VARIANCE,
                 f"variance_type must be one of {SUPPORTED_VARIANCE}, got {self.variance_type!r}")
        _require(1 <= self.sampling_steps <= self.num_train_timesteps,
                 f"sampling_steps must be in [1, num_train_timesteps], got {self.sampling_steps}")
        _require(0 <= self.strength_min <= self.strength_max,
                 f"need 0 <= strength_min <= strength_max, got {self.strength_min}, {self.strength_max}")

    def _check_training(self) -> None:
        for name in ("strength_batch", "train_steps", "batch_size", "n_samples", "sample_batch_size"):
            _require(getattr(self, name) >= 1, f"{name} must be >= 1, got {getattr(self, name)}")
        _require(self.micro_batch_size >= 1 and self.batch_size % self.micro_batch_size == 0,
                 f"micro_batch_size must divide batch_size {self.batch_size}, got {self.micro_batch_size}")
        _require(self.lr > 0, f"lr must be > 0, got {self.lr}")
        _require(self.grad_clip > 0, f"grad_clip must be > 0, got {self.grad_clip}")
        _require(0 <= self.ema_decay < 1, f"ema_decay must be in [0, 1), got {self.ema_decay}")

    def _check_classifier(self) -> None:
        widths, groups = self.classifier_block_out_channels, self.norm_num_groups
        head = self.attention_head_dim
        _require(len(widths) > 0 and self.image_size % (1 << (len(widths) - 1)) == 0,
                 f"classifier_block_out_channels {widths}: image_size {self.image_size} must be a "
                 f"multiple of 2**{len(widths) - 1} (one halving per level after the first)")
        sizes = [self.image_size >> level for level in range(len(widths))]
        attended = [c for c, r in zip(widths, sizes, strict=True) if r in self.attention_resolutions]
        _require(all(c % groups == 0 for c in widths) and all(c % head == 0 for c in [*attended, widths[-1]]),
                 f"classifier_block_out_channels {widths}: every width must be a multiple of norm_num_groups "
                 f"{groups}, those of the attention levels and the last of attention_head_dim {head}")
        _require(self.classifier_batch_size % self.micro_batch_size == 0,
                 f"micro_batch_size {self.micro_batch_size} must divide classifier_batch_size "
                 f"{self.classifier_batch_size}")


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(f"SdasConfig: {message}")
