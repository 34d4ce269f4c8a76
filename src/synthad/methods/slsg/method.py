"""SLSG adapter: GPT-Net pre-training hook, SegNet training loop, inference, the Method contract.

Yang, Liu, Yang, Wu, "SLSG: Industrial Image Anomaly Detection by Learning Better Feature Embeddings
and One-Class Classification". See README.md in this folder for the component -> code map and the
deviations. Training (Sec. 3, 4.2):

1. GPT-Net pre-training (:mod:`.pretrain`): by ``synthad pretrain`` (reusable file, handed to ``fit``
   as ``context.pretrained``) or, without the file and with ``encoder_init = "gptnet"``, inline;
2. SegNet: the pre-trained encoder, SG block and decoder, trained for ``steps`` SGD iterations on
   batches of 4 normal + 4 simulated anomalies (:class:`~synthad.synthesis.SlsgSynthesizer`) with
   Eq. 11; image score = mean of the 100 most anomalous pixels.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from synthad.methods.base import FitContext, Method, Prediction
from synthad.methods.common import load_pool, stack_samples
from synthad.methods.inference import predict_resized
from synthad.methods.loop import EpochLoop, fit_identity
from synthad.methods.registry import register
from synthad.methods.slsg.config import Config
from synthad.methods.slsg.loss import segnet_loss
from synthad.methods.slsg.model import SegNet
from synthad.methods.slsg.pretrain import PRETRAIN_FIELDS, load_encoder, pretrain_gptnet, read_pretrained
from synthad.nn import init_weights
from synthad.synthesis import SlsgSynthesizer, TrainingPool, normal_sample


def build_segnet(cfg: Config, weights: str = "random") -> SegNet:
    """SegNet of ``cfg`` with encoder ``weights`` and DRAEM-initialised new layers (official code)."""
    sg = {"top_k": cfg.top_k, "reduction": cfg.attention_reduction, "pos_dim": cfg.pos_dim,
          "eliminate_position": cfg.eliminate_position, "mode": cfg.graph}
    model = SegNet(weights, cfg.decoder_widths, sg, cfg.skip_channels, cfg.bottleneck_skip,
                   cfg.freeze_encoder, cfg.backbone)
    # The skip attention keeps PyTorch's default init: the code's re-initialisation loop misses it.
    for part in (model.sg, model.project, model.aux_head, model.decoder):
        part.apply(init_weights)
    return model


def top_k_mean(prob: torch.Tensor, k: int) -> torch.Tensor:
    """Image score: mean of the ``k`` largest values of each map ``(B, ...)`` -> ``(B,)`` (Sec. 4.2)."""
    flat = prob.flatten(1)
    return flat.topk(min(k, flat.shape[1]), dim=1).values.mean(dim=1)


@register("slsg")
class Slsg(Method):
    """SLSG: GPT-Net pre-trained encoder + SegNet with the SG block, structural/logical simulation."""

    Config = Config
    needs = frozenset({"foreground_masks", "textures", "pretrained"})
    has_pretraining = True
    pretrain_fields = PRETRAIN_FIELDS

    @classmethod
    def needs_for(cls, config: Config) -> frozenset[str]:
        """What ``fit`` reads with ``config``.

        Foreground masks (foreground enhancement), textures (structural branch with texture
        sources), pre-trained GPT-Net weights (``encoder_init = "gptnet"``; optional, else inline).
        """
        needs = set()
        if config.foreground:
            needs.add("foreground_masks")
        if config.structural and config.texture_prob > 0:
            needs.add("textures")
        if config.encoder_init == "gptnet":
            needs.add("pretrained")
        return frozenset(needs)

    def __init__(self, config: Config, device: torch.device | str = "cpu"):
        super().__init__(config, device)
        self.model = build_segnet(config).to(self.device)

    # ------------------------------------------------------------------ pre-training
    def pretrain(self, train: Dataset, context: FitContext) -> dict[str, torch.Tensor]:
        """GPT-Net pre-training (see :func:`~synthad.methods.slsg.pretrain.pretrain_gptnet`)."""
        pool = load_pool(train, self.config.image_size, "SLSG")
        return pretrain_gptnet(pool, self.config, context, context.checkpoint_path)

    def _encoder_weights(self, pool: TrainingPool, context: FitContext) -> tuple[str, dict | None, str]:
        """``(torchvision weights, GPT-Net state or None, provenance)`` for SegNet's encoder."""
        cfg = self.config
        if context.pretrained is not None:
            return "random", read_pretrained(context.pretrained), "file"
        if cfg.encoder_init != "gptnet":
            return cfg.encoder_init, None, cfg.encoder_init
        inline = None
        if context.checkpoint_path is not None:
            inline = Path(f"{context.checkpoint_path}.gptnet")
        state = pretrain_gptnet(pool, cfg, context, inline)
        if inline is not None:
            inline.unlink(missing_ok=True)  # SegNet's own checkpoint (saved next) now holds the encoder
        return "random", state, "inline"

    # ------------------------------------------------------------------ training
    def fit(self, train: Dataset, context: FitContext) -> None:
        """Train (see the module docstring); resumes from ``context.checkpoint_path`` when present."""
        cfg, device = self.config, context.device
        pool = load_pool(train, cfg.image_size, "SLSG")
        ckpt = context.checkpoint_path
        resuming = ckpt is not None and Path(ckpt).is_file()
        weights, state, provenance = (("random", None, "resumed") if resuming
                                      else self._encoder_weights(pool, context))
        rng = context.seed_generators()
        self.device, self.model = device, build_segnet(cfg, weights)
        if state is not None:
            load_encoder(self.model.encoder, state, str(context.pretrained or "inline GPT-Net"))
        self.model.to(device)
        synth = self._synthesizer(context)
        optimizer = torch.optim.SGD([p for p in self.model.parameters() if p.requires_grad], lr=cfg.lr,
                                    momentum=cfg.momentum, weight_decay=cfg.weight_decay)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.steps)
        objects = {"model": self.model, "optimizer": optimizer, "scheduler": scheduler}
        identity = fit_identity(cfg, context.seed, len(pool))
        loop = EpochLoop(context, math.ceil(cfg.steps / cfg.log_every), f"slsg segnet ({provenance})",
                         objects, rng, identity)
        if not resuming:  # the encoder init (maybe minutes of GPT-Net) is never redone
            loop.save(0)
        for chunk in loop:
            n = min(cfg.log_every, cfg.steps - chunk * cfg.log_every)
            row = self._train_steps(n, pool, synth, rng, optimizer, scheduler, device, loop)
            step = chunk * cfg.log_every + n
            loop.log(row | {"phase": 2, "step": step, "lr": scheduler.get_last_lr()[0]}, "loss")
        self.model.eval()

    def _synthesizer(self, context: FitContext) -> SlsgSynthesizer:
        """Sec. 3.2 simulation with the Table 5 switches."""
        cfg = self.config
        textures = context.bank("textures", cfg.image_size) if "textures" in self.needs_for(cfg) else None
        return SlsgSynthesizer(textures, logical_prob=cfg.logical_prob(), texture_prob=cfg.texture_prob,
                               foreground=cfg.foreground)

    def _train_steps(self, n: int, pool: TrainingPool, synth: SlsgSynthesizer, rng: np.random.Generator,
                     optimizer: torch.optim.Optimizer, scheduler: Any, device: torch.device,
                     loop: EpochLoop) -> dict:
        """``n`` SGD steps on 4 normal + 4 simulated images each; returns mean losses and seconds."""
        cfg = self.config
        self.model.train()
        start, sums = time.perf_counter(), dict.fromkeys(("loss", "focal", "l1", "aux"), 0.0)
        for step in range(n):
            draw = len(pool)
            normals = [normal_sample(pool.image(int(i))) for i in rng.integers(0, draw, cfg.normal_per_batch)]
            anomalies = [synth(pool, int(i), rng) for i in rng.integers(0, draw, cfg.anomalous_per_batch)]
            _, image, mask = (t.to(device) for t in stack_samples(normals + anomalies))
            logits, aux = self.model(image)
            loss, terms = segnet_loss(logits, aux, mask, cfg.focal_gamma,
                                      (cfg.alpha_focal, cfg.alpha_l1_seg, cfg.alpha_aux_seg))
            loop.check_loss(loss, step)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            for k, v in (terms | {"loss": loss.item()}).items():
                sums[k] += v / n
        return sums | {"seconds": time.perf_counter() - start}

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> Prediction:
        """Images ``(B, 3, H, W)`` in ``[0, 1]`` -> top-k-mean scores ``(B,)`` and maps ``(B, H, W)``."""
        self.model.eval()
        k = self.config.score_pixels()

        def score_and_map(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            prob = torch.softmax(self.model(x)[0], dim=1)[:, 1:]
            return top_k_mean(prob, k), prob

        return predict_resized(images, self.config.image_size, self.config.eval_batch_size, self.device,
                               score_and_map)
