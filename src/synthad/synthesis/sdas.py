"""SDAS, RealNet's strength-controllable diffusion anomaly synthesis (Zhang et al., CVPR 2024): sampling.

A DDPM trained on the defect-free images of a data set, its categories as classes
(:mod:`synthad.synthesis.ddpm`), is sampled ancestrally with a category's label, but at every reverse
step the injected noise is inflated::

    x_{t-1} = mu_theta(x_t, t, y) + Sigma_t * g + sqrt(1 + s) * sigma_t * z,    z ~ N(0, I)

(variance ``(1 + s) sigma_t^2``; the mean is untouched; ``s = 0`` is ordinary sampling). ``g`` is the
optional classifier guidance of the official sampler, ``scale * grad_x log p(y | x_t)`` of a noisy
classifier (:mod:`synthad.synthesis.noisy_classifier`), not inflated by ``s``. RealNet draws
``s ~ U(0.1, 0.2)`` once per batch of 16 images (``sample.py`` of cnulab/RealNet,
docs/official-code.md#realnet-sdas-sampling),
samples 20 respaced steps ``{950, 900, ..., 0}`` of the T = 1000 schedule with the learned
(improved-DDPM ``learned_range``) variance, clips the predicted ``x_0`` to ``[-1, 1]`` and writes
``(x + 1) * 127.5`` as uint8.

:class:`StrengthScheduler` is diffusers' :class:`~diffusers.DDPMScheduler` with the factor; the
respacing is diffusers' ``timestep_spacing="leading"`` (``alphas_cumprod`` of the kept steps define
the respaced betas, as in guided-diffusion's ``SpacedDiffusion``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated

import numpy as np
import torch
from diffusers import DDPMScheduler, UNet2DModel
from diffusers.utils.torch_utils import randn_tensor
from tqdm.auto import tqdm

from synthad.utils.ranges import NonNegativeFloat, PositiveFloat, PositiveInt, Range

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

    def model_variance(self, t, model_output: torch.Tensor) -> torch.Tensor:
        """``Sigma_t`` of the reverse step at ``t`` (not inflated by ``s``): what guidance scales by.

        guided-diffusion's values: ``exp(f log beta_t + (1 - f) log beta~_t)``, ``f = (v + 1) / 2``, for
        ``learned_range`` (``(B, C, H, W)``, ``v`` = the output's second half), ``beta~_t`` for
        ``fixed_small`` (a scalar). At the last step, where ``beta~`` is 0 and no noise is added,
        ``learned_range`` takes the next step's ``beta~`` (its ``posterior_log_variance_clipped``).
        """
        beta, posterior = self._step_variances(t)
        if self.config.variance_type == "fixed_small":
            return posterior.to(model_output.device)
        if self.previous_timestep(t) < 0:
            later = self.timesteps[self.timesteps > t]
            posterior = self._step_variances(int(later.min()) if len(later) else int(t) + 1)[1]
        frac = (model_output[:, model_output.shape[1] // 2:] + 1) / 2
        log_beta, log_posterior = (v.log().to(model_output.device) for v in (beta, posterior))
        return torch.exp(frac * log_beta + (1 - frac) * log_posterior)

    def _step_variances(self, t) -> tuple[torch.Tensor, torch.Tensor]:
        """``(beta_t, beta~_t)`` of the (respaced) step from ``t`` to the previous timestep."""
        prev = self.previous_timestep(t)
        abar = self.alphas_cumprod[t]
        abar_prev = self.alphas_cumprod[prev] if prev >= 0 else self.one
        beta = 1 - abar / abar_prev
        return beta, beta * (1 - abar_prev) / (1 - abar)


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


# (x_t (B, C, H, W), t, labels (B,)) -> scale * grad_x log p(y | x_t), (B, C, H, W)
Guide = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def reverse_step(unet: UNet2DModel, sched: StrengthScheduler, x: torch.Tensor, t: torch.Tensor,
                 y: torch.Tensor | None = None, guide: Guide | None = None,
                 generator: list[torch.Generator] | None = None) -> torch.Tensor:
    """One reverse step ``x_t`` ``(B, C, H, W)`` -> ``x_{t-1}``, strength-inflated by ``sched``.

    When guided, the mean moves by ``Sigma_t * guide(x_t, t, y)`` (guided-diffusion's
    ``condition_mean``). ``y`` ``(B,)``: class labels of a class-conditional U-Net (``None``:
    unconditional).
    """
    # an unconditional U-Net may still be guided towards y (ADM's guided unconditional model)
    output = unet(x, t, class_labels=y if unet.config.num_class_embeds else None).sample
    shift = 0 if guide is None else sched.model_variance(t, output) * guide(x, t, y)
    return sched.step(output, t, x, generator=generator).prev_sample + shift


@torch.no_grad()
def sdas_sample(unet: UNet2DModel, scheduler: DDPMScheduler, n: int,
                strength: float | Sequence[float] = (0.1, 0.2), seed: int = 0, batch_size: int = 16,
                device: str | torch.device = "cpu", progress: bool = True, steps: int = 20,
                strength_batch: int = 16, label: int | None = None,
                guide: Guide | None = None) -> tuple[np.ndarray, np.ndarray]:
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
        label: The category's class index: the class-conditional U-Net's input and the guidance
            target (``None``: an unconditional, unguided model).
        guide: Classifier guidance (:func:`synthad.synthesis.noisy_classifier.classifier_guide`);
            every step's mean moves by ``Sigma_t * guide(x_t, t, y)``. Needs ``label``.

    Returns:
        ``(images, strengths)``: ``(n, H, W, 3)`` uint8 and ``(n,)`` float32.
    """
    if guide is not None and label is None:
        raise ValueError("classifier guidance needs the class label of the images to sample")
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
            y = None if label is None else torch.full((count,), label, device=x.device)
            for t in sched.timesteps:
                x = reverse_step(unet, sched, x, t, y, guide, gens)
            images.append(to_uint8(x))
            bar.update(count)
    unet.train(was_training)
    return np.concatenate(images), strengths
