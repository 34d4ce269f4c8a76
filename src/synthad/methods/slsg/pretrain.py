"""GPT-Net pre-training loop (Sec. 3.1, 3.4, 4.2): masked inpainting with an LSGAN, resumable.

One step: mask a batch (:mod:`.masking`), reconstruct with GPT-Net, update D-Net with Eq. 9, then
GPT-Net with Eq. 10 (Adam, 1e-3 / 6e-4). The result is the encoder's weights, which initialise
SegNet (:func:`load_encoder`).
"""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

import numpy as np
import torch

from synthad.errors import DataError
from synthad.methods.base import FitContext
from synthad.methods.loop import EpochLoop
from synthad.methods.slsg.config import Config
from synthad.methods.slsg.gptnet import GptNet, PatchDiscriminator
from synthad.methods.slsg.loss import discriminator_loss, gptnet_loss
from synthad.methods.slsg.masking import apply_mask, gptnet_masks
from synthad.methods.slsg.model import Encoder
from synthad.nn import init_weights
from synthad.nn.backbones import imagenet_normalize
from synthad.nn.optim import adam
from synthad.synthesis import TrainingPool

PREFIX = "encoder."
# Fields that change the pre-training; a stale state of another configuration is never resumed.
PRETRAIN_FIELDS = ("image_size", "backbone", "backbone_weights", "decoder_widths", "pretrain_epochs",
                   "pretrain_batch_size", "lr_generator", "lr_discriminator", "alpha_adv", "alpha_l1",
                   "alpha_aux_rec", "disc_width", "grid_cells", "grid_ratio", "large_mask", "large_mask_min",
                   "large_mask_max")


def pretrain_gptnet(pool: TrainingPool, cfg: Config, context: FitContext,
                    checkpoint: Path | None) -> dict[str, torch.Tensor]:
    """Train GPT-Net and D-Net on ``pool``; return the encoder's weights (keys ``encoder.*``).

    Args:
        pool: Training images at ``cfg.image_size``.
        cfg: The configuration (pre-training fields only matter).
        context: Seed, device, logging (rows with ``phase = 1``), progress, checkpoint cadence.
        checkpoint: Resumable state file of this phase (``None``: no checkpoints).
    """
    device = context.device
    rng = context.seed_generators()
    gen = GptNet(cfg.backbone_weights, cfg.decoder_widths, cfg.backbone)
    for part in (gen.decoder, gen.aux_head):
        part.apply(init_weights)  # the encoder keeps its (ImageNet or torchvision) initialisation
    disc = PatchDiscriminator(cfg.disc_width)
    disc.apply(init_weights)
    gen.to(device), disc.to(device)
    opt_g = adam(gen.parameters(), lr=cfg.lr_generator)
    opt_d = adam(disc.parameters(), lr=cfg.lr_discriminator)
    objects = {"generator": gen, "discriminator": disc, "opt_g": opt_g, "opt_d": opt_d}
    identity = {"config": {k: dataclasses.asdict(cfg)[k] for k in PRETRAIN_FIELDS},
                "seed": int(context.seed), "n_train": len(pool), "phase": "gptnet"}
    loop = EpochLoop(context, cfg.pretrain_epochs, "slsg gpt-net", objects, rng, identity,
                     checkpoint=checkpoint)
    for epoch in loop:
        row = _epoch(gen, disc, opt_g, opt_d, pool, cfg, rng, device, loop)
        loop.log(row | {"phase": 1, "epoch": epoch + 1}, "l1", "d")
    return {PREFIX + k: v.detach().cpu() for k, v in gen.encoder.state_dict().items()}


def _epoch(gen: GptNet, disc: PatchDiscriminator, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer,
           pool: TrainingPool, cfg: Config, rng: np.random.Generator, device: torch.device,
           loop: EpochLoop) -> dict:
    """``ceil(N / batch)`` steps on randomly drawn images; returns mean losses and seconds."""
    gen.train(), disc.train()
    start, sums = time.perf_counter(), dict.fromkeys(("loss", "g_adv", "l1", "aux_l2", "d"), 0.0)
    steps = math.ceil(len(pool) / cfg.pretrain_batch_size)
    side_range = cfg.large_mask_range() if cfg.large_mask else None
    for step in range(steps):
        idx = rng.integers(0, len(pool), cfg.pretrain_batch_size)
        image = torch.from_numpy(pool.images[idx]).permute(0, 3, 1, 2).float().div(255).to(device)
        mask = gptnet_masks(len(idx), pool.size[0], cfg.grid_cells, cfg.grid_ratio, side_range, rng)
        mask = mask.to(device)
        rec, aux = gen(apply_mask(imagenet_normalize(image), mask))
        d_loss = discriminator_loss(disc(image), disc(rec.detach()))
        loop.check_loss(d_loss, step, "discriminator loss")
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        alphas = (cfg.alpha_adv, cfg.alpha_l1, cfg.alpha_aux_rec)
        g_loss, terms = gptnet_loss(rec, aux, image, disc(rec), alphas)
        loop.check_loss(g_loss, step, "generator loss")
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        for k, v in (terms | {"loss": g_loss.item(), "d": d_loss.item()}).items():
            sums[k] += v / steps
    return sums | {"seconds": time.perf_counter() - start}


def load_encoder(encoder: Encoder, state: dict[str, torch.Tensor], source: str) -> None:
    """Copy pre-trained ``encoder.*`` weights into ``encoder`` (all keys must match).

    Raises:
        DataError: The file holds no or other encoder weights; names ``source``.
    """
    weights = {k[len(PREFIX):]: v for k, v in state.items() if k.startswith(PREFIX)}
    try:
        encoder.load_state_dict(weights)
    except RuntimeError as exc:
        raise DataError(f"{source}: not SLSG GPT-Net encoder weights ({str(exc).splitlines()[0]})") from exc


def read_pretrained(path: Path) -> dict[str, torch.Tensor]:
    """Read a ``synthad pretrain`` weights file.

    Raises:
        DataError: Missing or unreadable file.
    """
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # missing, truncated or foreign file: name it instead of a traceback
        raise DataError(f"{path}: cannot read pre-trained weights ({exc})") from exc
