"""The noisy classifier behind SDAS's optional classifier guidance (RealNet's ``train_classifier.py``).

The official sampler guides every reverse step with ``grad_x log p(y | x_t, t)`` of a classifier of
the data set's categories trained on noised images (ADM's ``EncoderUNetModel``: the U-Net's encoder
half and middle block, GroupNorm-SiLU, attention pooling; cross-entropy at uniform ``t``, Adam,
gradient clipping, no EMA). :class:`NoisyClassifier` builds that encoder from the same diffusers
blocks as the SDAS U-Net (:func:`synthad.synthesis.ddpm.down_block_types`), :func:`train_classifier`
trains it, and :func:`classifier_guide` turns it into the ``guide`` of
:func:`synthad.synthesis.sdas.sdas_sample`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from diffusers.models.embeddings import TimestepEmbedding, Timesteps
from diffusers.models.unets.unet_2d_blocks import UNetMidBlock2D, get_down_block
from safetensors.torch import load_file, save_file
from torch import nn
from tqdm.auto import tqdm

from synthad.errors import DataError
from synthad.nn.optim import adam
from synthad.synthesis.ddpm import (
    build_scheduler,
    down_block_types,
    draw_batch,
    images_to_tensor,
    labels_to_tensor,
    run_identity,
)
from synthad.synthesis.init_weights import load_init_weights
from synthad.synthesis.sdas import Guide
from synthad.synthesis.sdas_config import SdasConfig
from synthad.utils.checkpoint import load_training_state, save_training_state
from synthad.utils.io import atomic_dir
from synthad.utils.runtime import seed_everything


class AttentionPool(nn.Module):
    """ADM's ``AttentionPool2d``: the mean token, plus learned positions, attends over every position.

    ``(B, C, H, W)`` -> ``(B, n_out)``; ``C / head_dim`` heads, scaled dot-product attention.
    """

    def __init__(self, size: int, channels: int, head_dim: int, n_out: int):
        super().__init__()
        self.position = nn.Parameter(torch.randn(size * size + 1, channels) / channels ** 0.5)
        self.qkv = nn.Linear(channels, 3 * channels)
        self.proj = nn.Linear(channels, n_out)
        self.heads = channels // head_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` -> ``(B, n_out)``."""
        tokens = x.flatten(2).transpose(1, 2)  # (B, HW, C)
        tokens = torch.cat([tokens.mean(1, keepdim=True), tokens], 1) + self.position
        q, k, v = (z.unflatten(-1, (self.heads, -1)).transpose(1, 2) for z in self.qkv(tokens).chunk(3, -1))
        pooled = F.scaled_dot_product_attention(q[:, :, :1], k, v)  # only the mean token's output is kept
        return self.proj(pooled.transpose(1, 2).flatten(2)[:, 0])


class NoisyClassifier(nn.Module):
    """Classifies noised images ``x_t`` ``(B, 3, S, S)`` at timesteps ``t`` ``(B,)`` into logits ``(B, K)``.

    The SDAS U-Net's encoder (its block types, scale-shift norm, resblock down-sampling, head width,
    groups) at ``cfg.classifier_block_out_channels``, its middle block, then GroupNorm-SiLU and
    :class:`AttentionPool` (ADM's ``EncoderUNetModel`` with ``pool="attention"``).
    """

    def __init__(self, cfg: SdasConfig, num_classes: int):
        super().__init__()
        widths = cfg.classifier_block_out_channels
        self.arch = {"cfg": asdict(cfg), "num_classes": int(num_classes)}  # saved beside the weights
        embed = 4 * widths[0]
        self.time_proj = Timesteps(widths[0], flip_sin_to_cos=True, downscale_freq_shift=0)  # as the U-Net
        self.time_embedding = TimestepEmbedding(widths[0], embed)
        self.conv_in = nn.Conv2d(3, widths[0], 3, padding=1)
        common = dict(num_layers=cfg.layers_per_block, temb_channels=embed, resnet_eps=1e-5,
                      resnet_act_fn="silu", resnet_groups=cfg.norm_num_groups,
                      attention_head_dim=cfg.attention_head_dim, downsample_padding=1,
                      resnet_time_scale_shift="scale_shift", downsample_type="resnet", dropout=0.0)
        inputs = [widths[0], *widths[:-1]]
        self.down_blocks = nn.ModuleList(
            get_down_block(kind, in_channels=w_in, out_channels=w_out, add_downsample=i < len(widths) - 1,
                           **common)
            for i, (kind, w_in, w_out) in enumerate(zip(down_block_types(cfg, widths), inputs, widths,
                                                        strict=True)))
        self.mid_block = UNetMidBlock2D(
            widths[-1], embed, resnet_eps=1e-5, resnet_time_scale_shift="scale_shift",
            attention_head_dim=cfg.attention_head_dim, resnet_groups=cfg.norm_num_groups,
            attn_groups=cfg.norm_num_groups)
        last_size = cfg.image_size >> (len(widths) - 1)
        self.head = nn.Sequential(nn.GroupNorm(cfg.norm_num_groups, widths[-1]), nn.SiLU(),
                                  AttentionPool(last_size, widths[-1], cfg.attention_head_dim, num_classes))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """``x_t`` ``(B, 3, S, S)``, ``t`` ``(B,)`` or a scalar -> logits ``(B, K)``."""
        t = torch.as_tensor(t, device=x.device).reshape(-1).expand(len(x))
        emb = self.time_embedding(self.time_proj(t).to(x.dtype))
        h = self.conv_in(x)
        for block in self.down_blocks:
            h, _ = block(h, emb)
        return self.head(self.mid_block(h, emb))


def classifier_guide(classifier: NoisyClassifier, scale: float) -> Guide:
    """The official ``cond_fn``: ``(x_t, t, y) -> scale * grad_x log softmax(classifier(x_t, t))[y]``.

    The gradient is ``(B, C, H, W)``; ``scale = 0`` gives zeros (the same samples as no guidance).
    """
    def guide(x: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        with torch.enable_grad():
            x_in = x.detach().requires_grad_(True)
            log_p = F.log_softmax(classifier(x_in, t), dim=-1)
            chosen = log_p[torch.arange(len(y), device=x.device), y]
            return torch.autograd.grad(chosen.sum(), x_in)[0] * scale
    return guide


def train_classifier(images: np.ndarray, labels: np.ndarray, num_classes: int, cfg: SdasConfig,
                     seed: int = 0, device: str | torch.device = "cpu",
                     checkpoint_path: str | Path | None = None,
                     log: Callable[[int, dict], None] | None = None, log_every: int = 100,
                     checkpoint_every: int = 500, progress: bool = True) -> NoisyClassifier:
    """Train the noisy classifier for ``cfg.classifier_train_steps`` optimiser steps.

    Each step draws ``cfg.classifier_batch_size`` images with replacement, noises them to uniform
    ``t`` with the DDPM schedule and minimises the cross-entropy of their category (gradients
    accumulated over ``micro_batch_size`` chunks; Adam ``cfg.lr``, clipping ``cfg.grad_clip``).

    Args:
        images: ``(N, S, S, 3)`` uint8 at ``cfg.image_size``.
        labels: Class index of each image ``(N,)`` in ``[0, num_classes)``.
        num_classes: Categories of the data set (>= 2).
        cfg: Settings.
        seed: Seeds initialisation, batches, timesteps and noise.
        device: Where to train.
        checkpoint_path: Resumable state (as :func:`synthad.synthesis.ddpm.train_ddpm`).
        log: Called as ``log(step, {"loss", "accuracy"})``, means over the last ``log_every`` steps.
        log_every: Steps between ``log`` calls.
        checkpoint_every: Steps between checkpoints.
        progress: Show a tqdm bar.

    Returns:
        The classifier in eval mode on ``device``.

    Raises:
        DataError: Bad images or labels, fewer than two classes, a ``classifier_init_checkpoint``
            that does not fit, or a checkpoint of another run.
    """
    data = images_to_tensor(images, cfg, device)
    targets = labels_to_tensor(labels, len(data), device)
    if num_classes < 2 or int(targets.max()) >= num_classes:
        raise DataError(f"the SDAS classifier needs >= 2 classes and labels below them, got {num_classes} "
                        f"classes, largest label {int(targets.max())}")
    seed_everything(seed)
    rng = np.random.default_rng(seed)
    classifier = NoisyClassifier(cfg, num_classes)
    if cfg.classifier_init_checkpoint is not None:
        load_init_weights(classifier, cfg.classifier_init_checkpoint, ("head.2.proj.",), "classifier")
    classifier = classifier.to(device).train()
    optimizer = adam(classifier.parameters(), lr=cfg.lr)
    objects = {"classifier": classifier, "optimizer": optimizer}
    identity = run_identity(cfg, seed, images, labels, "classifier_train_steps")
    start = load_training_state(checkpoint_path, objects, rng, extra=identity)
    scheduler, window = build_scheduler(cfg), []
    steps = cfg.classifier_train_steps
    for step in tqdm(range(start + 1, steps + 1), desc="SDAS classifier", initial=start, total=steps,
                     disable=not progress):
        window.append(_classifier_step(classifier, optimizer, data, targets, rng, scheduler, cfg))
        if log is not None and (step % log_every == 0 or step == steps):
            loss, accuracy = np.mean(window, axis=0)
            log(step, {"loss": float(loss), "accuracy": float(accuracy)})
            window = []
        if checkpoint_path is not None and (step % checkpoint_every == 0 or step == steps):
            save_training_state(checkpoint_path, step, objects, rng, extra=identity)
    return classifier.eval()


def _classifier_step(classifier, optimizer, data, targets, rng, scheduler, cfg) -> tuple[float, float]:
    """One optimiser step; returns the batch's mean cross-entropy and accuracy."""
    optimizer.zero_grad(set_to_none=True)
    sums = torch.zeros(2)
    for x0, y, t, noise in draw_batch(data, targets, rng, cfg, cfg.classifier_batch_size):
        logits = classifier(scheduler.add_noise(x0, noise, t), t)
        loss = F.cross_entropy(logits, y, reduction="sum")
        (loss / cfg.classifier_batch_size).backward()
        sums += torch.stack([loss.detach(), (logits.argmax(1) == y).sum()]).cpu()
    torch.nn.utils.clip_grad_norm_(classifier.parameters(), cfg.grad_clip)
    optimizer.step()
    return tuple((sums / cfg.classifier_batch_size).tolist())


def save_classifier(classifier: NoisyClassifier, folder: str | Path) -> None:
    """Write ``classifier.json`` (architecture) and ``classifier.safetensors`` to ``folder``, atomically."""
    with atomic_dir(folder) as tmp:
        (tmp / "classifier.json").write_text(json.dumps(classifier.arch, indent=2))
        save_file({k: v.detach().cpu().contiguous() for k, v in classifier.state_dict().items()},
                  str(tmp / "classifier.safetensors"))


def load_classifier(folder: str | Path, device: str | torch.device = "cpu") -> NoisyClassifier:
    """Read a classifier written by :func:`save_classifier`.

    Raises:
        DataError: ``folder`` is missing, incomplete or corrupt.
    """
    folder = Path(folder)
    if not (folder / "classifier.json").is_file():
        raise DataError(f"{folder}: no SDAS classifier here (classifier.json missing); train it first")
    try:
        arch = json.loads((folder / "classifier.json").read_text())
        classifier = NoisyClassifier(SdasConfig(**arch["cfg"]), arch["num_classes"])
        classifier.load_state_dict(load_file(str(folder / "classifier.safetensors")))
    except Exception as exc:  # JSON, config, safetensors or shape errors: name the folder
        raise DataError(f"{folder}: cannot load the SDAS classifier ({exc}); delete it to retrain") from exc
    return classifier.to(device).eval()
