"""The DDPM behind SDAS: an ADM-like diffusers U-Net trained with improved-DDPM's hybrid loss.

RealNet (official code; methods/realnet/README.md, "SDAS") fine-tunes OpenAI's class-conditional
ImageNet ADM with learned variances
(``learn_sigma``) on the defect-free images of a whole data set, its categories as the classes: loss
``mse(eps) + vb`` where ``vb`` is the variational bound term of the sampled ``t`` with the mean
frozen, Adam 1e-4, gradient clipping 1.0, EMA 0.9999, images in ``[-1, 1]`` and no flips. Here the
U-Net is diffusers' :class:`~diffusers.UNet2DModel` configured as close to ADM as it allows (the class
embedding is added to the timestep embedding, as ADM's ``label_emb``), the schedule is
:class:`~synthad.synthesis.sdas.StrengthScheduler` (a ``DDPMScheduler``), the EMA is diffusers'
:class:`~diffusers.training_utils.EMAModel`, and a run resumes from :mod:`synthad.utils.checkpoint`
states. The ImageNet start cannot be downloaded offline: ``SdasConfig.init_checkpoint`` takes a
user's weights (:func:`load_init_weights`), else the U-Net starts from random weights.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from diffusers import UNet2DModel
from diffusers.training_utils import EMAModel
from tqdm.auto import tqdm

from synthad.errors import DataError
from synthad.nn.optim import adam
from synthad.synthesis.init_weights import load_init_weights
from synthad.synthesis.sdas import StrengthScheduler
from synthad.synthesis.sdas_config import SdasConfig
from synthad.utils.checkpoint import load_training_state, save_training_state
from synthad.utils.io import atomic_dir
from synthad.utils.runtime import seed_everything


def down_block_types(cfg: SdasConfig, widths: list[int]) -> tuple[str, ...]:
    """ADM's encoder levels for ``widths``: attention where the level's size is an attention resolution."""
    sizes = [cfg.image_size >> level for level in range(len(widths))]
    return tuple("AttnDownBlock2D" if size in cfg.attention_resolutions else "ResnetDownsampleBlock2D"
                 for size in sizes)


def build_unet(cfg: SdasConfig, num_classes: int = 1) -> UNet2DModel:
    """ADM-like U-Net: scale-shift norm, resblock up/down-sampling, attention at the configured sizes.

    Input ``(B, 3, S, S)`` in ``[-1, 1]``, integer timesteps ``(B,)`` and, for ``num_classes > 1``,
    class labels ``(B,)`` (``class_labels=``; one class = an unconditional model, no embedding);
    output ``(B, 6, S, S)`` (eps and the variance interpolation ``v``) for ``learned_range``,
    ``(B, 3, S, S)`` for ``fixed_small``.
    """
    down = down_block_types(cfg, cfg.block_out_channels)
    return UNet2DModel(
        sample_size=cfg.image_size, in_channels=3,
        out_channels=6 if cfg.variance_type == "learned_range" else 3,
        num_class_embeds=num_classes if num_classes > 1 else None,
        block_out_channels=tuple(cfg.block_out_channels), layers_per_block=cfg.layers_per_block,
        down_block_types=down,
        up_block_types=tuple(kind.replace("Down", "Up") for kind in reversed(down)),
        downsample_type="resnet", upsample_type="resnet",  # ADM resblock_updown
        resnet_time_scale_shift="scale_shift", attention_head_dim=cfg.attention_head_dim,
        norm_num_groups=cfg.norm_num_groups,
        attn_norm_num_groups=cfg.norm_num_groups,  # diffusers drops the mid attention's norm with scale_shift
        dropout=cfg.dropout, flip_sin_to_cos=True, freq_shift=0,  # ADM's [cos, sin] timestep embedding
    )


def build_scheduler(cfg: SdasConfig) -> StrengthScheduler:
    """Linear-beta DDPM schedule with clipped ``x_0``, ``cfg.prediction_type`` and "leading" respacing."""
    return StrengthScheduler(
        num_train_timesteps=cfg.num_train_timesteps, beta_start=cfg.beta_start, beta_end=cfg.beta_end,
        beta_schedule="linear", variance_type=cfg.variance_type, clip_sample=True, clip_sample_range=1.0,
        prediction_type=cfg.prediction_type, timestep_spacing="leading", steps_offset=0)


class DiffusionTables:
    """Per-timestep constants of the forward process, as ``(T,)`` float32 tensors on ``device``.

    Computed in float64 from the scheduler's betas, as improved-DDPM does. ``post_logvar`` is the
    posterior log-variance with its ``t = 0`` entry (0, log -inf) replaced by the ``t = 1`` one.
    """

    def __init__(self, scheduler: StrengthScheduler, device: str | torch.device = "cpu"):
        betas = scheduler.betas.double()
        abar = torch.cumprod(1 - betas, 0)
        abar_prev = torch.cat([abar.new_ones(1), abar[:-1]])
        post_var = betas * (1 - abar_prev) / (1 - abar)
        tables = {
            "sqrt_abar": abar.sqrt(), "sqrt_1m_abar": (1 - abar).sqrt(), "log_beta": betas.log(),
            "post_logvar": torch.cat([post_var[1:2], post_var[1:]]).log(),
            "coef_x0": betas * abar_prev.sqrt() / (1 - abar),
            "coef_xt": (1 - abar_prev) * (1 - betas).sqrt() / (1 - abar),
        }
        for name, value in tables.items():
            setattr(self, name, value.float().to(device))

    def at(self, name: str, t: torch.Tensor) -> torch.Tensor:
        """``tables[name][t]`` shaped ``(B, 1, 1, 1)`` to broadcast over images."""
        return getattr(self, name)[t].view(-1, 1, 1, 1)


def gaussian_kl(mean1, logvar1, mean2, logvar2) -> torch.Tensor:
    """Elementwise ``KL(N(mean1, e^logvar1) || N(mean2, e^logvar2))`` in nats (broadcasting)."""
    return 0.5 * (logvar2 - logvar1 + torch.exp(logvar1 - logvar2)
                  + (mean1 - mean2) ** 2 * torch.exp(-logvar2) - 1)


def discretized_gaussian_nll(x: torch.Tensor, mean: torch.Tensor, log_scale: torch.Tensor) -> torch.Tensor:
    """Elementwise ``-log P(x)`` (nats) of 8-bit pixels ``x`` in ``[-1, 1]``, ``N(mean, e^(2 log_scale))``.

    The probability of the bin ``[x - 1/255, x + 1/255]``; the edge bins extend to +-infinity
    (improved-DDPM's decoder, with the exact normal CDF instead of its tanh approximation).
    """
    upper = (x - mean + 1 / 255) * torch.exp(-log_scale)
    lower = (x - mean - 1 / 255) * torch.exp(-log_scale)
    middle = (torch.special.ndtr(upper) - torch.special.ndtr(lower)).clamp(min=1e-12).log()
    log_p = torch.where(x < -0.999, torch.special.log_ndtr(upper),
                        torch.where(x > 0.999, torch.special.log_ndtr(-lower), middle))
    return -log_p


def hybrid_loss(output: torch.Tensor, x0: torch.Tensor, xt: torch.Tensor, t: torch.Tensor,
                noise: torch.Tensor, tables: DiffusionTables,
                prediction_type: str = "epsilon") -> tuple[torch.Tensor, torch.Tensor]:
    """Improved-DDPM's per-image losses ``(mse, vb)``, each ``(B,)``; the training loss is ``mse + vb``.

    ``mse = mean |eps - eps_theta|^2`` (for ``v_prediction``: ``mean |v - v_theta|^2``). With
    ``x0_hat = (x_t - sqrt(1 - abar_t) sg(eps_theta)) / sqrt(abar_t)`` (for v:
    ``sqrt(abar_t) x_t - sqrt(1 - abar_t) sg(v_theta)``; ``sg`` = stop-gradient: the bound trains
    only the variance), the model's
    ``mu = coef_x0 x0_hat + coef_xt x_t`` and
    ``log Sigma = f log beta_t + (1 - f) log beta~_t``, ``f = (v + 1) / 2``::

        vb = mean KL(q(x_{t-1} | x_t, x_0) || N(mu, Sigma)) / ln 2         (t > 0)
        vb = mean -log N_discretised(x_0; mu, Sigma) / ln 2                 (t = 0)

    in bits per dimension. This is the paper's ``L_simple + lambda L_vlb`` with lambda = 0.001: the
    code's single-``t`` term ``L_t`` estimates ``L_vlb / T`` and T = 1000.

    Args:
        output: U-Net output ``(B, 6, H, W)``: eps ``[:, :3]``, ``v`` ``[:, 3:]``; ``(B, 3, H, W)`` for a
            fixed variance, where ``vb`` is 0.
        x0: Clean images ``(B, 3, H, W)`` in ``[-1, 1]``.
        xt: Noised images ``(B, 3, H, W)``.
        t: Timesteps ``(B,)`` int64.
        noise: The eps that made ``xt`` ``(B, 3, H, W)``.
        tables: Schedule constants.
        prediction_type: ``epsilon``, or ``v_prediction``: the first channels predict
            ``v = sqrt(abar) eps - sqrt(1 - abar) x_0``, ``mse`` is on ``v`` and
            ``x0_hat = sqrt(abar) x_t - sqrt(1 - abar) sg(v_theta)``.
    """
    pred, v = output[:, :x0.shape[1]], output[:, x0.shape[1]:]
    sqrt_abar, sqrt_1m_abar = tables.at("sqrt_abar", t), tables.at("sqrt_1m_abar", t)
    if prediction_type == "v_prediction":
        mse = ((sqrt_abar * noise - sqrt_1m_abar * x0 - pred) ** 2).mean(dim=(1, 2, 3))
        x0_hat = sqrt_abar * xt - sqrt_1m_abar * pred.detach()
    else:
        mse = ((noise - pred) ** 2).mean(dim=(1, 2, 3))
        x0_hat = (xt - sqrt_1m_abar * pred.detach()) / sqrt_abar
    if v.shape[1] == 0:  # fixed variance: nothing for the bound to train
        return mse, torch.zeros_like(mse)
    mean = tables.at("coef_x0", t) * x0_hat + tables.at("coef_xt", t) * xt
    true_mean = tables.at("coef_x0", t) * x0 + tables.at("coef_xt", t) * xt
    min_log, max_log = tables.at("post_logvar", t), tables.at("log_beta", t)
    logvar = (v + 1) / 2 * max_log + (1 - v) / 2 * min_log
    kl = gaussian_kl(true_mean, min_log, mean, logvar).mean(dim=(1, 2, 3))
    nll = discretized_gaussian_nll(x0, mean, 0.5 * logvar).mean(dim=(1, 2, 3))
    return mse, torch.where(t == 0, nll, kl) / math.log(2)


def images_to_tensor(images: np.ndarray, cfg: SdasConfig, device: str | torch.device) -> torch.Tensor:
    """Check ``(N, S, S, 3)`` uint8 training images and keep them as ``(N, 3, S, S)`` uint8 on ``device``."""
    images = np.asarray(images)
    want = (cfg.image_size, cfg.image_size, 3)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != want or len(images) == 0:
        raise DataError(f"SDAS training needs uint8 images of shape (N, {want[0]}, {want[1]}, 3) with "
                        f"N >= 1, got {images.dtype} {images.shape}")
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous().to(device)


def labels_to_tensor(labels: np.ndarray | None, n_images: int, device: str | torch.device) -> torch.Tensor:
    """Class index per training image ``(N,)`` int64 on ``device`` (``None``: all 0, one class)."""
    labels = np.zeros(n_images, np.int64) if labels is None else np.asarray(labels)
    if labels.shape != (n_images,) or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        raise DataError(f"SDAS training needs one class index >= 0 per image ({n_images}), got "
                        f"{labels.dtype} {labels.shape}")
    return torch.from_numpy(labels.astype(np.int64)).to(device)


def draw_batch(data, labels, rng, cfg: SdasConfig, size: int):
    """``size`` training images drawn with replacement, as ``micro_batch_size`` chunks.

    Yields ``(x0, y, t, noise)`` per chunk: ``x0`` ``(b, 3, S, S)`` in ``[-1, 1]``, labels ``(b,)``,
    uniform timesteps ``(b,)`` and Gaussian noise like ``x0``.
    """
    index = torch.from_numpy(rng.integers(0, len(data), size))
    for chunk in index.split(cfg.micro_batch_size):
        chunk = chunk.to(data.device)
        x0 = data[chunk].float() / 127.5 - 1
        # CPU draws from the global generator, which the checkpoint restores (CUDA's is not saved)
        t = torch.randint(0, cfg.num_train_timesteps, (len(chunk),)).to(x0.device)
        yield x0, labels[chunk], t, torch.randn(x0.shape).to(x0.device)


def train_step(unet, optimizer, data, labels, rng, scheduler, tables, cfg) -> tuple[float, float]:
    """One optimiser step on a batch drawn with replacement; returns the batch's mean (mse, vb)."""
    optimizer.zero_grad(set_to_none=True)
    sums = torch.zeros(2)
    conditional = unet.config.num_class_embeds is not None
    for x0, y, t, noise in draw_batch(data, labels, rng, cfg, cfg.batch_size):
        xt = scheduler.add_noise(x0, noise, t)
        output = unet(xt, t, class_labels=y if conditional else None).sample
        mse, vb = hybrid_loss(output, x0, xt, t, noise, tables, cfg.prediction_type)
        ((mse + vb).sum() / cfg.batch_size).backward()
        sums += torch.stack([mse.sum(), vb.sum()]).detach().cpu()
    torch.nn.utils.clip_grad_norm_(unet.parameters(), cfg.grad_clip)
    optimizer.step()
    return tuple((sums / cfg.batch_size).tolist())


def run_identity(cfg: SdasConfig, seed: int, images: np.ndarray, labels: np.ndarray | None,
                 steps_key: str) -> dict:
    """What a checkpoint must match to be resumed; ``steps_key`` is left out so a run can be extended."""
    settings = {k: v for k, v in asdict(cfg).items() if k != steps_key}
    digest = hashlib.sha1(np.ascontiguousarray(images).tobytes())
    if labels is not None:
        digest.update(np.asarray(labels, np.int64).tobytes())
    return {"cfg": repr(sorted(settings.items())), "seed": int(seed), "images": digest.hexdigest()}


def train_ddpm(images: np.ndarray, cfg: SdasConfig, seed: int = 0, device: str | torch.device = "cpu",
               checkpoint_path: str | Path | None = None, log: Callable[[int, dict], None] | None = None,
               log_every: int = 100, checkpoint_every: int = 500, progress: bool = True,
               labels: np.ndarray | None = None, num_classes: int = 1) -> UNet2DModel:
    """Train the SDAS DDPM on defect-free images for ``cfg.train_steps`` optimiser steps.

    Each step draws ``cfg.batch_size`` images with replacement (no flips), with their class labels,
    uniform ``t`` and Gaussian noise, and minimises :func:`hybrid_loss`; the EMA (diffusers'
    ``EMAModel``: decay ``min(cfg.ema_decay, (1 + n) / (10 + n))`` after ``n`` steps) gives the
    returned weights. The U-Net starts from ``cfg.init_checkpoint`` when one is given.

    Args:
        images: ``(N, S, S, 3)`` uint8 at ``cfg.image_size``.
        cfg: Settings.
        seed: Seeds initialisation, batches, timesteps and noise.
        device: Where to train.
        checkpoint_path: Resumable state, written every ``checkpoint_every`` steps and at the end;
            an existing one of the same run (settings other than ``train_steps``, seed, images) is resumed.
        log: Called as ``log(step, {"loss", "mse", "vb"})`` with means over the last ``log_every`` steps.
        log_every: Steps between ``log`` calls.
        checkpoint_every: Steps between checkpoints.
        progress: Show a tqdm bar.
        labels: Class index of each image ``(N,)`` in ``[0, num_classes)`` (``None``: one class).
        num_classes: Categories of the data set; more than one makes the U-Net class-conditional.

    Returns:
        The U-Net with the EMA weights, in eval mode, on ``device``.

    Raises:
        DataError: Bad images or labels, an ``init_checkpoint`` that does not fit, or a checkpoint
            that is unreadable or belongs to another run.
    """
    data = images_to_tensor(images, cfg, device)
    targets = labels_to_tensor(labels, len(data), device)
    if int(targets.max()) >= num_classes:
        raise DataError(f"SDAS training: class index {int(targets.max())} >= num_classes {num_classes}")
    seed_everything(seed)
    rng = np.random.default_rng(seed)
    unet = build_unet(cfg, num_classes)
    if cfg.init_checkpoint is not None:  # ADM's ImageNet start in the paper; a user's file here
        load_init_weights(unet, cfg.init_checkpoint, ("class_embedding.",), "U-Net")
    unet = unet.to(device).train()
    optimizer = adam(unet.parameters(), lr=cfg.lr)
    ema = EMAModel(unet.parameters(), decay=cfg.ema_decay, foreach=True)
    objects = {"unet": unet, "optimizer": optimizer, "ema": ema}
    identity = run_identity(cfg, seed, images, labels, "train_steps")
    start = load_training_state(checkpoint_path, objects, rng, extra=identity)
    ema.to(device)
    scheduler = build_scheduler(cfg)
    tables = DiffusionTables(scheduler, device)
    window = []
    for step in tqdm(range(start + 1, cfg.train_steps + 1), desc="SDAS DDPM", initial=start,
                     total=cfg.train_steps, disable=not progress):
        window.append(train_step(unet, optimizer, data, targets, rng, scheduler, tables, cfg))
        ema.step(unet.parameters())
        if log is not None and (step % log_every == 0 or step == cfg.train_steps):
            mse, vb = np.mean(window, axis=0)
            log(step, {"loss": float(mse + vb), "mse": float(mse), "vb": float(vb)})
            window = []
        if checkpoint_path is not None and (step % checkpoint_every == 0 or step == cfg.train_steps):
            save_training_state(checkpoint_path, step, objects, rng, extra=identity)
    ema.copy_to(unet.parameters())
    return unet.eval()


def save_unet(unet: UNet2DModel, folder: str | Path) -> None:
    """Write ``config.json`` and ``diffusion_pytorch_model.safetensors`` to ``folder``, atomically."""
    with atomic_dir(folder) as tmp:
        unet.save_pretrained(tmp, safe_serialization=True)


def load_unet(folder: str | Path, device: str | torch.device = "cpu") -> UNet2DModel:
    """Read a U-Net written by :func:`save_unet` (local files only, never the network).

    Raises:
        DataError: ``folder`` is missing, incomplete or corrupt.
    """
    folder = Path(folder)
    if not (folder / "config.json").is_file():
        raise DataError(f"{folder}: no SDAS U-Net here (config.json missing); train it first")
    try:
        unet = UNet2DModel.from_pretrained(folder, local_files_only=True, use_safetensors=True)
    except Exception as exc:  # diffusers raises OSError/ValueError/safetensors errors; name the folder
        raise DataError(f"{folder}: cannot load the SDAS U-Net ({exc}); delete it to retrain") from exc
    return unet.to(device).eval()
