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

import numpy as np
import torch
from diffusers import DDPMScheduler, UNet2DModel
from diffusers.utils.torch_utils import randn_tensor
from tqdm.auto import tqdm

from synthad.synthesis.sdas_config import SUPPORTED_VARIANCE


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
