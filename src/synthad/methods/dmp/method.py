"""DMP adapter: training loop, inference and the :class:`~synthad.methods.base.Method` contract.

Peng, Zheng, Zhao, Zheng, "Industrial Product Surface Anomaly Detection with Realistic Synthetic
Anomalies Based on Defect Map Prediction", Sensors 24(1):264, 2024. See README.md in this folder for
the equation -> code map and every deviation. One training step (Sec. 3, Figure 2):

1. copy the autoencoder's encoder into the deep-feature extractor (``copy_params``);
2. ``I_r = AE(I_a)``, ``logits = U-Net(concat(I_r, I_a))``;
3. ``z = E'(I)``, ``z_hat = E'(I_r)`` with the extractor ``E'``;
4. ``L_total = 0.8 (SSIM + L2) + 0.2 L1(z, z_hat) + Focal`` (Eqs. 5, 6, 9), one Adam step.

Inference merges the re-parameterised small kernels into the large ones (a cached copy); the image
score is the maximum of the mean-filtered defect map (Eq. 10).
"""

from __future__ import annotations

import copy
import math
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from synthad.methods.base import FitContext, Method, Prediction
from synthad.methods.common import load_pool, make_batch
from synthad.methods.dmp.config import Config
from synthad.methods.dmp.loss import DmpLoss
from synthad.methods.dmp.model import DmpModel
from synthad.methods.inference import mean_filter_max, predict_resized, score_kernel_size
from synthad.methods.loop import EpochLoop, fit_identity
from synthad.methods.registry import register
from synthad.nn import init_weights
from synthad.nn.large_kernel import merge_reparam
from synthad.nn.optim import adam
from synthad.synthesis import DmpSynthesizer, DraemSynthesizer, TrainingPool


def build_model(cfg: Config) -> DmpModel:
    """The (untrained) networks of ``cfg``."""
    return DmpModel(cfg.rec_base_width, cfg.large_kernel, cfg.deep_features, cfg.disc_base_width,
                    cfg.lk_channels, cfg.lk_layers, cfg.lk_kernels, cfg.small_kernel, cfg.ffn_ratio)


def data_set_pool(pool: TrainingPool, others: TrainingPool | None) -> TrainingPool:
    """This category's pool followed by the other categories' (DMP's sources: the whole data set)."""
    if others is None:
        return pool
    return TrainingPool(np.concatenate([pool.images, others.images]),
                        np.concatenate([pool.foregrounds, others.foregrounds]))


@register("dmp")
class Dmp(Method):
    """DMP: autoencoder with copied-encoder deep-feature loss + large-kernel defect-map U-Net."""

    Config = Config
    needs = frozenset({"foreground_masks", "dataset_images"})

    @classmethod
    def needs_for(cls, config: Config) -> frozenset[str]:
        """Same-data sources need the other categories; texture sources the textures bank.

        DRAEM's synthesis (``anomaly_source: draem``) places its masks anywhere: no foregrounds.
        """
        if config.anomaly_source == "draem":
            return frozenset({"textures"})
        if config.anomaly_source == "textures":
            return frozenset({"foreground_masks", "textures"})
        return cls.needs

    def __init__(self, config: Config, device: torch.device | str = "cpu"):
        super().__init__(config, device)
        self.model = build_model(config).to(self.device)
        self._inference: DmpModel | None = None

    # ------------------------------------------------------------------ training
    def fit(self, train: Dataset, context: FitContext) -> None:
        """Train (see the module docstring); resumes from ``context.checkpoint_path`` when present."""
        cfg, device = self.config, context.device
        rng = context.seed_generators()
        self.device, self._inference = device, None
        self.model = build_model(cfg)
        self.model.apply(init_weights)
        self.model.to(device)
        extractor = self.model.extractor
        if extractor is not None:
            extractor.copy_from(self.model.reconstruction.encoder)  # gradient mode starts from the copy too
            if cfg.copy_params:
                extractor.freeze()
        pool = load_pool(train, cfg.image_size, "DMP")
        synth = self._synthesizer(pool, context)
        params = [p for p in self.model.parameters() if p.requires_grad]
        optimizer = adam(params, lr=cfg.lr)
        milestones = cfg.milestone_epochs()
        scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma=cfg.lr_gamma)
        objects = {"model": self.model, "optimizer": optimizer, "scheduler": scheduler}
        sources = getattr(synth, "source_pool", None)  # DRAEM's synthesizer has none
        n_sources = len(sources) if sources is not None else 0
        identity = fit_identity(cfg, context.seed, len(pool), n_sources=n_sources)
        loop = EpochLoop(context, cfg.epochs, "dmp", objects, rng, identity)
        criterion = DmpLoss(cfg.lambda1, cfg.lambda2, cfg.lambda3, cfg.focal_gamma)
        for epoch in loop:
            row = self._train_epoch(pool, synth, rng, optimizer, criterion, device, loop)
            row |= {"epoch": epoch + 1, "lr": optimizer.param_groups[0]["lr"]}
            scheduler.step()
            loop.log(row, "loss", "focal")
        self.model.eval()

    def _synthesizer(self, pool: TrainingPool, context: FitContext) -> DmpSynthesizer | DraemSynthesizer:
        """Sec. 3.1 synthesis with sources from the whole data set or a textures bank, or DRAEM's.

        ``anomaly_source: draem`` is the "DTD" column of Table 4 (its row 1 is DRAEM): DRAEM's
        synthesizer at DRAEM's opacity and augmenters; the probabilities and the Perlin recipe are
        the shared fields (DRAEM's values by default).
        """
        cfg = self.config
        perlin = {"perlin_scales": (cfg.perlin_min_scale, cfg.perlin_max_scale),
                  "threshold": cfg.perlin_threshold}
        if cfg.anomaly_source == "draem":
            return DraemSynthesizer(context.bank("textures", cfg.image_size), cfg.rotate_prob,
                                    anomaly_prob=cfg.anomaly_prob, **perlin)
        kwargs = {"anomaly_prob": cfg.anomaly_prob, "beta": (cfg.beta_min, cfg.beta_max),
                  "rotate_prob": cfg.rotate_prob, **perlin}
        if cfg.anomaly_source == "textures":
            return DmpSynthesizer(texture_source=context.bank("textures", cfg.image_size), **kwargs)
        others = context.source_pool(cfg.image_size)
        return DmpSynthesizer(source_pool=data_set_pool(pool, others), **kwargs)

    def _train_epoch(self, pool: TrainingPool, synth: DmpSynthesizer | DraemSynthesizer,
                     rng: np.random.Generator, optimizer: torch.optim.Optimizer, criterion: DmpLoss,
                     device: torch.device, loop: EpochLoop) -> dict:
        """One epoch: ``ceil(N / batch)`` batches of randomly drawn images (DRAEM's loader)."""
        self.model.train()
        keys = ("loss", "l2", "ssim", "vision", "deep", "rec", "focal")
        start, sums = time.perf_counter(), dict.fromkeys(keys, 0.0)
        steps = math.ceil(len(pool) / self.config.batch_size)
        for step in range(steps):
            batch = make_batch(pool, synth, rng, self.config.batch_size)
            normal, augmented, mask = (t.to(device) for t in batch)
            loss, terms = self.training_loss(normal, augmented, mask, criterion)
            loop.check_loss(loss, step)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            for k, v in (terms | {"loss": loss.item()}).items():
                sums[k] += v / steps
        return sums | {"seconds": time.perf_counter() - start}

    def training_loss(self, normal: torch.Tensor, augmented: torch.Tensor, mask: torch.Tensor,
                      criterion: DmpLoss) -> tuple[torch.Tensor, dict[str, float]]:
        """``L_total`` of one batch (steps 1-4 of the module docstring).

        Args:
            normal: ``I`` ``(B, 3, S, S)``.
            augmented: ``I_a`` ``(B, 3, S, S)``.
            mask: ``M2`` ``(B, 1, S, S)``.
            criterion: The loss.

        Returns:
            ``(total, logged terms)``.
        """
        model, cfg = self.model, self.config
        code = model.reconstruction.encoder(augmented)
        rec = model.reconstruction.decoder(code)
        logits = model.defect(torch.cat([rec, augmented], dim=1))
        z = z_hat = correction = None
        if model.extractor is not None:
            if cfg.copy_params:
                model.extractor.copy_from(model.reconstruction.encoder)
                # Eval mode: a fixed function (copied running statistics) that updates nothing.
                model.extractor.eval()
                with torch.no_grad():
                    z = model.extractor(normal)
            else:
                z = model.extractor(normal)
                # Sec. 4.4.3: the trained extractor is corrected towards the encoder's features.
                correction = F.l1_loss(model.extractor(augmented), code.detach())
            z_hat = model.extractor(rec)  # gradient flows through I_r into the autoencoder
        return criterion(rec, normal, logits, mask, z, z_hat, correction)

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> Prediction:
        """Images ``(B, 3, H, W)`` in ``[0, 1]`` -> scores ``(B,)`` (Eq. 10) and maps ``(B, H, W)``."""
        model, k = self.inference_model(), score_kernel_size(self.config)

        def score_and_map(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            prob = torch.softmax(model(x)[1], dim=1)[:, 1:]
            return mean_filter_max(prob, k), prob  # Eq. 10

        return predict_resized(images, self.config.image_size, self.config.eval_batch_size, self.device,
                               score_and_map)

    def inference_model(self) -> DmpModel:
        """Eval-mode copy with the small kernels merged into the large ones (cached until weights change)."""
        if self._inference is None:
            self.model.eval()
            self._inference = merge_reparam(copy.deepcopy(self.model)).eval()
        return self._inference

    # ------------------------------------------------------------------ weights
    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` output (the un-merged weights) and drop the merged copy."""
        super().load_state_dict(state)
        self._inference = None
