"""DRAEM adapter: training loop, inference and the :class:`~synthad.methods.base.Method` contract.

Zavrtanik, Kristan, Skočaj, "DRAEM - A discriminatively trained reconstruction embedding for surface
anomaly detection", ICCV 2021; the official code's facts are in docs/official-code.md#draem. See README.md
in this folder for the component -> code map and the deviations.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch.utils.data import Dataset

from synthad.methods.base import FitContext, Method, Prediction
from synthad.methods.common import load_pool, make_batch
from synthad.methods.draem.config import Config
from synthad.methods.draem.loss import DraemLoss
from synthad.methods.draem.model import DraemModel
from synthad.methods.inference import mean_filter_max, predict_resized, score_kernel_size
from synthad.methods.loop import EpochLoop, fit_identity
from synthad.methods.registry import register
from synthad.nn import init_weights
from synthad.nn.optim import adam
from synthad.synthesis import DraemSynthesizer, TrainingPool


@register("draem")
class Draem(Method):
    """DRAEM: reconstructive + discriminative sub-networks trained on Perlin/texture anomalies."""

    Config = Config
    needs = frozenset({"textures"})

    @classmethod
    def needs_for(cls, config: Config) -> frozenset[str]:
        """The bank of ``config.anomaly_source`` (textures in the paper)."""
        return frozenset({config.anomaly_source})

    def __init__(self, config: Config, device: torch.device | str = "cpu"):
        super().__init__(config, device)
        self.model = DraemModel(config.rec_base_width, config.disc_base_width).to(self.device)

    # ------------------------------------------------------------------ training
    def fit(self, train: Dataset, context: FitContext) -> None:
        """Train (see the module docstring); resumes from ``context.checkpoint_path`` when present."""
        cfg, device = self.config, context.device
        source = context.bank(cfg.anomaly_source, cfg.image_size)
        rng = context.seed_generators()
        self.device = device
        self.model = DraemModel(cfg.rec_base_width, cfg.disc_base_width).to(device)
        self.model.apply(init_weights)
        pool = load_pool(train, cfg.image_size, "DRAEM")
        synth = DraemSynthesizer(
            source, cfg.rotate_prob, anomaly_prob=cfg.anomaly_prob,
            beta=(cfg.beta_min, cfg.beta_max), n_augmenters=cfg.n_augmenters,
            perlin_scales=(cfg.perlin_min_scale, cfg.perlin_max_scale), threshold=cfg.perlin_threshold,
        )
        optimizer = adam([
            {"params": self.model.reconstructive.parameters(), "lr": cfg.lr},
            {"params": self.model.discriminative.parameters(), "lr": cfg.lr},
        ])
        # round(): the official float milestones (0.8 * epochs) are never hit when not integral.
        milestones = [round(m * cfg.epochs) for m in cfg.lr_milestones]
        scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma=cfg.lr_gamma)
        objects = {"model": self.model, "optimizer": optimizer, "scheduler": scheduler}
        identity = fit_identity(cfg, context.seed, len(pool))
        loop = EpochLoop(context, cfg.epochs, "draem", objects, rng, identity)
        criterion = DraemLoss()
        for epoch in loop:
            row = self._train_epoch(pool, synth, rng, optimizer, criterion, device, loop)
            row |= {"epoch": epoch + 1, "lr": optimizer.param_groups[0]["lr"]}
            scheduler.step()
            loop.log(row, "loss", "focal")
        self.model.eval()

    def _train_epoch(self, pool: TrainingPool, synth: DraemSynthesizer, rng: np.random.Generator,
                     optimizer: torch.optim.Optimizer, criterion: DraemLoss, device: torch.device,
                     loop: EpochLoop) -> dict:
        """One DRAEM epoch: ``ceil(N / batch)`` batches of randomly drawn images (official loader)."""
        self.model.train()
        start, sums = time.perf_counter(), {"loss": 0.0, "l2": 0.0, "ssim": 0.0, "focal": 0.0}
        steps = math.ceil(len(pool) / self.config.batch_size)
        for step in range(steps):
            batch = make_batch(pool, synth, rng, self.config.batch_size)
            normal, augmented, mask = (t.to(device) for t in batch)
            rec, logits = self.model(augmented)
            loss, terms = criterion(rec, normal, logits, mask)
            loop.check_loss(loss, step)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            for k, v in (terms | {"loss": loss.item()}).items():
                sums[k] += v / steps
        return sums | {"seconds": time.perf_counter() - start}

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> Prediction:
        """Images ``(B, 3, H, W)`` in ``[0, 1]`` -> scores ``(B,)`` and maps ``(B, H, W)`` (softmax ch. 1)."""
        self.model.eval()
        return predict_resized(images, self.config.image_size, self.config.eval_batch_size, self.device,
                               self._score_and_map)

    def _score_and_map(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x (B, 3, S, S)`` -> mean-filter-max scores ``(B,)`` and defect probabilities ``(B, 1, S, S)``."""
        _, logits = self.model(x)
        prob = torch.softmax(logits, dim=1)[:, 1:]
        return mean_filter_max(prob, self.score_kernel), prob

    @property
    def score_kernel(self) -> int:
        """Side of the image-score mean filter at ``image_size``, see :func:`score_kernel_size`."""
        return score_kernel_size(self.config)

