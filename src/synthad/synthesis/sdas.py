"""SDAS, RealNet's strength-controllable diffusion anomaly synthesis (Zhang et al., CVPR 2024): sampling.

A DDPM trained on defect-free images (:mod:`synthad.synthesis.ddpm`) is sampled ancestrally, but at
every reverse step the injected noise is inflated::

    x_{t-1} = mu_theta(x_t, t) + sqrt(1 + s) * sigma_t * z,    z ~ N(0, I)

(variance ``(1 + s) sigma_t^2``; the mean is untouched; ``s = 0`` is ordinary sampling). RealNet draws
``s ~ U(0.1, 0.2)`` once per batch of 16 images (``sample.py`` of cnulab/RealNet, METHOD_NOTES A.1),
samples 20 respaced steps ``{950, 900, ..., 0}`` of the T = 1000 schedule with the learned
(improved-DDPM ``learned_range``) variance, clips the predicted ``x_0`` to ``[-1, 1]`` and writes
``(x + 1) * 127.5`` as uint8.

:class:`StrengthScheduler` is diffusers' :class:`~diffusers.DDPMScheduler` with the factor; the
respacing is diffusers' ``timestep_spacing="leading"`` (``alphas_cumprod`` of the kept steps define
the respaced betas, as in guided-diffusion's ``SpacedDiffusion``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from diffusers import DDPMScheduler, UNet2DModel
from diffusers.utils.torch_utils import randn_tensor
from tqdm.auto import tqdm

SUPPORTED_VARIANCE = ("learned_range", "fixed_small")


@dataclass
class SdasConfig:
    """SDAS diffusion settings; the defaults are RealNet's paper-scale values (METHOD_NOTES A.1, A.2).

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
            (METHOD_NOTES A.2); kept per category because each of our models serves one category.
        batch_size: Images per optimiser step (RealNet's effective batch, 5 x 4 GPUs x 3).
        micro_batch_size: Images per forward pass; gradients are accumulated up to ``batch_size``.
        lr: Adam learning rate.
        grad_clip: Maximal global gradient norm.
        ema_decay: Upper bound of the EMA decay of the weights used for sampling.
        n_samples: Images sampled per category (RealNet's ``sample_number``).
        sample_batch_size: Images per sampling forward pass (memory only; samples do not depend on it).
    """

    image_size: int = 256
    block_out_channels: list[int] = field(default_factory=lambda: [256, 256, 512, 512, 1024, 1024])
    layers_per_block: int = 2
    attention_resolutions: list[int] = field(default_factory=lambda: [32, 16, 8])
    attention_head_dim: int = 64
    norm_num_groups: int = 32
    dropout: float = 0.0
    num_train_timesteps: int = 1000
    beta_start: float = 1e-4
    beta_end: float = 0.02
    variance_type: str = "learned_range"
    prediction_type: str = "epsilon"
    sampling_steps: int = 20
    strength_min: float = 0.1
    strength_max: float = 0.2
    strength_batch: int = 16
    train_steps: int = 14500
    batch_size: int = 60
    micro_batch_size: int = 5
    lr: float = 1e-4
    grad_clip: float = 1.0
    ema_decay: float = 0.9999
    n_samples: int = 256
    sample_batch_size: int = 16

    def __post_init__(self):
        self.block_out_channels = [int(c) for c in self.block_out_channels]
        self.attention_resolutions = [int(r) for r in self.attention_resolutions]
        self._check_unet()
        self._check_diffusion()
        self._check_training()

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


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(f"SdasConfig: {message}")


class StrengthScheduler(DDPMScheduler):
    """:class:`~diffusers.DDPMScheduler` whose injected noise std is multiplied by ``sqrt(1 + strength)``.

    ``DDPMScheduler.step`` adds ``f(_get_variance(t, v)) * z`` to the posterior mean, with ``f = sqrt``
    for ``fixed_small`` (a variance) and ``f = exp(0.5 * .)`` for ``learned_range`` (a log-variance).
    Inflating what ``_get_variance`` returns by ``(1 + s)`` (or by ``log(1 + s)`` in log space) therefore
    scales exactly the noise term by ``sqrt(1 + s)``; the mean, the clipping of ``x_0`` and the random
    draws are the stock code's (``_get_variance`` is only called for that noise term; diffusers 0.42).

    Attributes:
        strength: ``s``; a float, or a tensor ``(B,)`` with one value per image of the batch.
    """

    strength: float | torch.Tensor = 0.0

    def step(self, model_output: torch.Tensor, timestep, sample: torch.Tensor, generator=None,
             return_dict: bool = True):
        """One reverse step ``x_t -> x_{t-1}``, as :meth:`diffusers.DDPMScheduler.step`.

        ``model_output`` is ``(B, 2C, H, W)`` (eps, variance values) for ``learned_range`` and
        ``(B, C, H, W)`` for ``fixed_small``; ``sample`` is ``(B, C, H, W)``.

        Raises:
            ValueError: The scheduler's ``variance_type`` is not supported.
        """
        if self.config.variance_type not in SUPPORTED_VARIANCE:
            raise ValueError(f"StrengthScheduler supports variance_type {SUPPORTED_VARIANCE}, "
                             f"not {self.config.variance_type!r}")
        return super().step(model_output, timestep, sample, generator=generator, return_dict=return_dict)

    def _get_variance(self, t, predicted_variance=None, variance_type=None):
        variance = super()._get_variance(t, predicted_variance, variance_type)
        s = self.strength
        if torch.is_tensor(s):  # one strength per image: broadcast over (C, H, W)
            s = s.to(variance.device, variance.dtype).reshape(-1, 1, 1, 1)
        if (variance_type or self.config.variance_type) == "learned_range":
            return variance + (torch.log1p(s) if torch.is_tensor(s) else math.log1p(s))
        return variance * (1 + s)


def draw_strengths(n: int, strength: float | Sequence[float], group: int, seed: int) -> np.ndarray:
    """Anomaly strength of each of ``n`` images: one ``U(lo, hi)`` draw per ``group`` consecutive images.

    Args:
        n: Number of images.
        strength: A fixed ``s``, or ``(lo, hi)``.
        group: Images sharing one draw (RealNet: 16, its sampling batch).
        seed: Seed of the draws.

    Returns:
        ``(n,)`` float32.
    """
    if np.isscalar(strength):
        return np.full(n, float(strength), np.float32)
    lo, hi = (float(v) for v in strength)
    if not 0 <= lo <= hi:
        raise ValueError(f"strength range must satisfy 0 <= lo <= hi, got {strength}")
    draws = np.random.default_rng(seed).uniform(lo, hi, size=-(-n // group))
    return np.repeat(draws, group)[:n].astype(np.float32)


def image_generators(seed: int, first: int, count: int) -> list[torch.Generator]:
    """One CPU generator per image index, so image ``i`` depends on ``(seed, i)`` only, not on batching."""
    return [torch.Generator().manual_seed(int(np.random.SeedSequence(seed, spawn_key=(i,)).generate_state(
        1, np.uint64)[0] >> 1)) for i in range(first, first + count)]


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """``(B, 3, H, W)`` in ``[-1, 1]`` -> ``(B, H, W, 3)`` uint8, RealNet's ``(x + 1) * 127.5`` clipped."""
    return ((x + 1) * 127.5).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


@torch.no_grad()
def sdas_sample(unet: UNet2DModel, scheduler: DDPMScheduler, n: int,
                strength: float | Sequence[float] = (0.1, 0.2), seed: int = 0, batch_size: int = 16,
                device: str | torch.device = "cpu", progress: bool = True, steps: int = 20,
                strength_batch: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``n`` SDAS images by ancestral DDPM sampling with noise inflated by ``sqrt(1 + s)``.

    Args:
        unet: Trained noise predictor (on ``device``); 6 output channels for ``learned_range``.
        scheduler: Its training scheduler (a plain ``DDPMScheduler`` is fine; it is copied, not changed).
        n: Number of images.
        strength: A fixed ``s`` (``0`` = normal images) or ``(lo, hi)`` for ``s ~ U(lo, hi)``.
        seed: Seeds the strengths and, per image index, the initial and step noise.
        batch_size: Images per forward pass (does not change the samples beyond float rounding).
        device: Where the U-Net runs.
        progress: Show a tqdm bar.
        steps: Respaced reverse steps (``timestep_spacing`` of the scheduler, "leading" -> {.., 50, 0}).
        strength_batch: Consecutive images sharing one drawn ``s``.

    Returns:
        ``(images, strengths)``: ``(n, H, W, 3)`` uint8 and ``(n,)`` float32.
    """
    sched = StrengthScheduler.from_config(scheduler.config)  # private copy: strength is per call
    sched.set_timesteps(steps)  # CPU timesteps: the scheduler indexes its CPU tables with them
    strengths = draw_strengths(n, strength, strength_batch, seed)
    size, channels = unet.config.sample_size, unet.config.in_channels
    was_training = unet.training
    unet.eval()
    images = []
    with tqdm(total=n, desc="SDAS sampling", unit="img", disable=not progress) as bar:
        for first in range(0, n, batch_size):
            count = min(batch_size, n - first)
            gens = image_generators(seed, first, count)
            sched.strength = torch.from_numpy(strengths[first:first + count])
            x = randn_tensor((count, channels, size, size), generator=gens, device=torch.device(device))
            for t in sched.timesteps:
                x = sched.step(unet(x, t).sample, t, x, generator=gens).prev_sample
            images.append(to_uint8(x))
            bar.update(count)
    unet.train(was_training)
    return np.concatenate(images), strengths
