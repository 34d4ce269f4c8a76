"""NDP-Net adapter: two-phase training, inference and the :class:`~synthad.methods.base.Method` contract.

Luo, Yao, Yu, "Normal Reference Attention and Defective Feature Perception Network for Surface Defect
Detection" (IEEE TIM 2023); no public code exists (docs/official-code.md#ndp-net). See
README.md in this folder for the equation -> code map and every deviation.

Training (Sec. III-E, Fig. 8): phase 1 trains encoder + decoder on (defect-free, artificial defect)
pairs with ``100 L_rec + L_per + L_def_per``; phase 2 freezes the encoder and trains RBAM + decoder +
MSDSM with ``100 L_rec + L_per + L_fea_rep + L_seg``. One checkpoint file covers both phases.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from synthad.methods.base import FitContext, Method, Prediction
from synthad.methods.common import load_pool, make_batch
from synthad.methods.inference import kernel_at, predict_resized
from synthad.methods.loop import EpochLoop, fit_identity
from synthad.methods.ndpnet.config import Config
from synthad.methods.ndpnet.loss import (
    PerceptualLoss,
    defect_perception_loss,
    feature_repair_loss,
    segmentation_loss,
)
from synthad.methods.ndpnet.model import DEEP, NdpNetModel
from synthad.methods.ndpnet.msdsm import pixel_gap_map, smooth, ssim_anomaly_map
from synthad.methods.registry import register
from synthad.nn import init_weights
from synthad.nn.optim import adam
from synthad.synthesis.ndpnet import NdpNetSynthesizer
from synthad.synthesis.sample import TrainingPool


def choose_reference(images: np.ndarray) -> int:
    """Index of the fixed reference image: the training image closest (L2) to the pixel-wise median.

    Args:
        images: Training images ``(N, H, W, 3)`` (uint8 or float).

    Returns:
        The index minimising ``||I_n - median_n(I)||_2``; ties go to the lowest index.
    """
    x = np.asarray(images, dtype=np.float64)
    median = np.median(x, axis=0)
    return int(np.argmin(((x - median) ** 2).reshape(len(x), -1).sum(1)))  # argmin: first of ties


def build_model(cfg: Config) -> NdpNetModel:
    """The network described by ``cfg`` (ablation switches included)."""
    return NdpNetModel(cfg.base_width, cfg.image_size, tuple(cfg.patch_sizes), cfg.ffm_channels,
                       cfg.ffm_kernel, cfg.softmax_scale, cfg.dsm_width, tuple(cfg.msdsm_weights),
                       use_rbam=cfg.use_rbam, use_msdsm=cfg.segmentation == "msdsm")


@register("ndpnet")
class NdpNet(Method):
    """NDP-Net: defect-perceiving encoder, reference-based feature repair, multi-scale segmentation."""

    Config = Config
    needs = frozenset({"natural"})

    def __init__(self, config: Config, device: torch.device | str = "cpu"):
        super().__init__(config, device)
        self.model = build_model(config).to(self.device)
        if config.phase2_epochs:
            self.model.freeze_encoder()  # a loaded model is a phase-2 model
        self.reference_index = -1

    # ------------------------------------------------------------------ training
    def fit(self, train: Dataset, context: FitContext) -> None:
        """Both training phases; resumes from ``context.checkpoint_path`` inside either phase."""
        cfg, device = self.config, context.device
        source = context.bank("natural", cfg.image_size)
        rng = context.seed_generators()
        self.device = device
        self.model = build_model(cfg).to(device)
        self.model.apply(init_weights)
        pool = load_pool(train, cfg.image_size, "NDP-Net")
        self.reference_index = choose_reference(pool.images)
        self.model.set_reference(torch.from_numpy(pool.image(self.reference_index)).permute(2, 0, 1))
        # Phase 1 needs defective pairs for L_def_per; phase 2 may mix in defect-free samples.
        synths = {1: NdpNetSynthesizer(source),
                  2: NdpNetSynthesizer(source, anomaly_prob=cfg.phase2_anomaly_prob)}
        perceptual = PerceptualLoss(cfg.perceptual_weights if cfg.w_per else "none", cfg.perceptual_backbone)
        opt1 = adam([*self.model.encoder.parameters(), *self.model.decoder.parameters()],
                                lr=cfg.lr, weight_decay=cfg.weight_decay)
        opt2 = adam(self._phase2_parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        objects = {"model": self.model, "opt1": opt1, "opt2": opt2}
        identity = fit_identity(cfg, context.seed, len(pool))
        loop = EpochLoop(context, cfg.phase1_epochs + cfg.phase2_epochs, "ndpnet", objects, rng, identity)
        for epoch in loop:
            phase = 1 if epoch < cfg.phase1_epochs else 2
            if phase == 2:
                self.model.freeze_encoder()
            optimizer = opt1 if phase == 1 else opt2
            row = self._train_epoch(phase, pool, synths[phase], rng, optimizer, perceptual, device, loop)
            row |= {"epoch": epoch + 1, "phase": phase, "lr": cfg.lr}
            loop.log(row, "phase", "loss")
        if cfg.phase2_epochs:
            self.model.freeze_encoder()
        self.model.eval()

    def _phase2_parameters(self) -> list[torch.nn.Parameter]:
        """RBAM, decoder and MSDSM parameters (the encoder is frozen in phase 2)."""
        params = list(self.model.decoder.parameters())
        for part in (self.model.rbam, self.model.msdsm):
            if part is not None:
                params += list(part.parameters())
        return params

    def _train_epoch(self, phase: int, pool: TrainingPool, synth: NdpNetSynthesizer, rng: np.random.Generator,
                     optimizer: torch.optim.Optimizer, perceptual: PerceptualLoss,
                     device: torch.device, loop: EpochLoop) -> dict[str, float]:
        """``ceil(N / batch)`` steps of ``phase`` -> mean of every loss term, plus seconds."""
        self.model.train()
        phase_loss = self.phase1_loss if phase == 1 else self.phase2_loss
        start, sums = time.perf_counter(), {}
        steps = math.ceil(len(pool) / self.config.batch_size)
        for step in range(steps):
            batch = make_batch(pool, synth, rng, self.config.batch_size)
            normal, augmented, mask = (t.to(device) for t in batch)
            loss, terms = phase_loss(normal, augmented, mask, perceptual)
            loop.check_loss(loss, step)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            for k, v in (terms | {"loss": loss.item()}).items():
                sums[k] = sums.get(k, 0.0) + v / steps
        return sums | {"seconds": time.perf_counter() - start}

    def phase1_loss(self, normal: torch.Tensor, augmented: torch.Tensor, mask: torch.Tensor,
                    perceptual: PerceptualLoss) -> tuple[torch.Tensor, dict[str, float]]:
        """Eq. 14 on one batch: ``normal, augmented (B, 3, S, S)``, ``mask (B, 1, S, S)``."""
        cfg, b = self.config, len(normal)
        use_def = cfg.use_def_per and cfg.w_def_per > 0
        feats = self.model.encoder(torch.cat([normal, augmented]) if use_def else normal)
        rec = self.model.decoder([f[:b] for f in feats[DEEP]])  # only I_o's features are decoded
        rec_loss, per_loss = F.mse_loss(rec, normal), perceptual(rec, normal)
        def_loss = (defect_perception_loss([f[:b] for f in feats], [f[b:] for f in feats], mask)
                    if use_def else rec_loss.new_zeros(()))
        total = cfg.w_rec * rec_loss + cfg.w_per * per_loss + cfg.w_def_per * def_loss
        return total, {"rec": rec_loss.item(), "per": per_loss.item(), "def_per": def_loss.item()}

    def phase2_loss(self, normal: torch.Tensor, augmented: torch.Tensor, mask: torch.Tensor,
                    perceptual: PerceptualLoss) -> tuple[torch.Tensor, dict[str, float]]:
        """Eq. 17 on one batch (the encoder is frozen: no term reaches its weights)."""
        cfg = self.config
        out = self.model(augmented)
        rec_loss, per_loss = F.mse_loss(out.rec, normal), perceptual(out.rec, normal)
        zero = rec_loss.new_zeros(())
        fea_loss = zero
        if self.model.rbam is not None:
            with torch.no_grad():
                target = self.model.encoder(normal)[DEEP]
            fea_loss = feature_repair_loss(out.deep_out, target)
        seg_loss = segmentation_loss(out.logits, mask) if out.logits is not None else zero
        total = cfg.w_rec * rec_loss + cfg.w_per * per_loss + cfg.w_fea_rep * fea_loss + cfg.w_seg * seg_loss
        return total, {"rec": rec_loss.item(), "per": per_loss.item(), "fea_rep": fea_loss.item(),
                       "seg": seg_loss.item()}

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def anomaly_map(self, x: torch.Tensor) -> torch.Tensor:
        """Smoothed ``AM_final`` ``(B, 1, S, S)`` of images ``(B, 3, S, S)`` at ``image_size``."""
        out = self.model(x)
        size = x.shape[-2:]
        if self.config.segmentation == "msdsm":
            raw = self.model.msdsm.combine(out.logits, size)
        elif self.config.segmentation == "pixel_gap":
            raw = pixel_gap_map(x, out.rec)
        else:
            raw = ssim_anomaly_map(x, out.rec)
        return smooth(raw, kernel_at(self.config.filter_size, self.config.image_size,
                                     self.config.scale_filter_size))

    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> Prediction:
        """Images ``(B, 3, H, W)`` in ``[0, 1]`` -> scores ``(B,)`` (map maximum) and maps ``(B, H, W)``."""
        self.model.eval()

        def score_and_map(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            amap = self.anomaly_map(x)
            return amap.amax(dim=(1, 2, 3)), amap

        return predict_resized(images, self.config.image_size, self.config.eval_batch_size, self.device,
                               score_and_map)
