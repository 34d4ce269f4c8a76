"""RealNet adapter: AFS, training loop, inference and the :class:`~synthad.methods.base.Method` contract.

Zhang, Xu, Zhou, "RealNet: A Feature Selection Network with Realistic Synthetic Anomaly for Anomaly
Detection", CVPR 2024; official-code facts in docs/official-code.md#realnet. See README.md in this folder
for the component -> code map and the deviations.
"""

from __future__ import annotations

import copy
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from synthad.methods.base import FitContext, Method, Prediction
from synthad.methods.common import load_pool, make_batch, stack_samples
from synthad.methods.inference import predict_resized
from synthad.methods.loop import EpochLoop, fit_identity
from synthad.methods.realnet.afs import Selection, afs_scores, lowest
from synthad.methods.realnet.config import Config
from synthad.methods.realnet.model import RealNetModel
from synthad.methods.realnet.rrs import RRSMode
from synthad.methods.registry import register
from synthad.nn.backbones import calibrate_batchnorm
from synthad.nn.optim import adam
from synthad.synthesis.realnet import RealNetSynthesizer
from synthad.synthesis.sample import TrainingPool
from synthad.utils.io import write_json


@register("realnet")
class RealNet(Method):
    """RealNet: WRN50 features, AFS, per-block feature reconstruction, RRS and a segmentation head."""

    Config = Config
    needs = frozenset({"sdas", "foreground_masks"})
    # model.pt: trainable weights, BatchNorm statistics and the channel selection, not the backbone
    frozen = ("extractor",)
    model: RealNetModel

    @classmethod
    def needs_for(cls, config: Config) -> frozenset[str]:
        """The bank of ``config.anomaly_source``, plus foreground masks when ``config.foreground``."""
        return frozenset({config.anomaly_source} | ({"foreground_masks"} if config.foreground else set()))

    def __init__(self, config: Config, device: torch.device | str = "cpu"):
        super().__init__(config, device)
        self.model = build_model(config).to(self.device)

    # ------------------------------------------------------------------ training
    def fit(self, train: Dataset, context: FitContext) -> None:
        """AFS once, then train (see the module docstring); resumes from ``context.checkpoint_path``."""
        cfg, device = self.config, context.device
        rng = context.seed_generators()
        self.device = device
        self.model = build_model(cfg, self.model.extractor).to(device)
        pool = load_pool(train, cfg.image_size, "RealNet")
        synth = self.synthesizer(context)
        optimizer = adam([p for p in self.model.parameters() if p.requires_grad], lr=cfg.lr)
        objects = {"model": self.weights(), "optimizer": optimizer}
        identity = fit_identity(cfg, context.seed, len(pool))
        loop = EpochLoop(context, cfg.epochs, "realnet", objects, rng, identity)
        if loop.start == 0:
            if cfg.calibrate_backbone:
                calibrate_batchnorm(self.model.extractor, self._pool_batches(pool))
            self.select_channels(pool, synth, rng, context.seed)
        if context.checkpoint_path:
            write_json(afs_json_path(context.checkpoint_path), self.selected_channels())
        cache = self.clean_features(pool)
        for epoch in loop:
            row = self._train_epoch(pool, synth, rng, optimizer, cache, loop)
            row |= {"epoch": epoch + 1, "lr": cfg.lr}
            loop.log(row, "ce", "mse")
        self.model.eval()

    def synthesizer(self, context: FitContext, normal_prob: float | None = None) -> RealNetSynthesizer:
        """RealNet's sample generator over the configured bank (``normal_prob`` overrides the config's)."""
        cfg = self.config
        bank = context.bank(cfg.anomaly_source, cfg.image_size)
        p_normal = cfg.normal_prob if normal_prob is None else normal_prob
        p_sdas, p_dtd = (1 - p_normal, 0.0) if cfg.anomaly_source == "sdas" else (0.0, 1 - p_normal)
        return RealNetSynthesizer(
            bank, bank if cfg.anomaly_source == "textures" else None, normal_prob=p_normal,
            sdas_prob=p_sdas, dtd_prob=p_dtd, sdas_opacity=tuple(cfg.sdas_opacity),
            dtd_opacity=tuple(cfg.dtd_opacity), dtd_augmenters=cfg.dtd_augmenters, foreground=cfg.foreground,
            perlin_scales=(cfg.perlin_min_scale, cfg.perlin_max_scale), threshold=cfg.perlin_threshold)

    @torch.no_grad()
    def select_channels(self, pool: TrainingPool, synth: RealNetSynthesizer, rng: np.random.Generator,
                        seed: int) -> None:
        """AFS over ``afs_batches`` batches of synthetic anomalies only, or RDR / RLPR from ``seed``."""
        cfg, model = self.config, self.model
        if cfg.selection != "afs":
            gen = torch.Generator().manual_seed(seed)
            for selector in model.selectors:
                selector.init_random(gen)
            return
        todo = [i for i, s in enumerate(model.selectors) if s.k < s.channels]  # k == C: nothing to select
        if not todo:
            return
        synth = copy.copy(synth)
        synth.weights = {**synth.weights, "normal": 0.0}  # AFS sees synthetic anomalies only
        totals = [0.0] * len(model.selectors)
        for _ in range(cfg.afs_batches):
            batch = make_batch(pool, synth, rng, cfg.afs_batch_size)
            normal, image, mask = (t.to(self.device) for t in batch)
            feats = model.extractor(torch.cat([image, normal]))
            for i in todo:
                anomalous, clean = feats[i].chunk(2)
                totals[i] = totals[i] + afs_scores(anomalous, clean, mask)
        for i in todo:
            model.selectors[i].set_index(lowest(totals[i], model.selectors[i].k))

    def selected_channels(self) -> dict[str, Any]:
        """The selection as plain data: ``{"selection": kind, "layer<l>": [indices]}`` (RLPR: no indices)."""
        out: dict[str, Any] = {"selection": self.config.selection}
        for layer, sel in zip(sorted(self.config.layers), self.model.selectors, strict=True):
            out[f"layer{layer}"] = [] if sel.kind == "rlpr" else sel.index.tolist()
        return out

    @torch.no_grad()
    def clean_features(self, pool: TrainingPool) -> list[torch.Tensor]:
        """Selected features of every training image, ``[(N, k_l, h_l, w_l)]`` on the CPU.

        The backbone is frozen, so these never change: the targets of the reconstruction and the
        inputs of normal samples are looked up instead of recomputed (about 2-4x fewer backbone passes).
        """
        chunks = [[f.cpu() for f in self.model.features(x)] for x in self._pool_batches(pool)]
        return [torch.cat(level) for level in zip(*chunks, strict=True)]

    def _pool_batches(self, pool: TrainingPool) -> list[torch.Tensor]:
        """The training images in order, as ``(b, 3, S, S)`` batches of ``eval_batch_size`` on the device."""
        size, out = self.config.eval_batch_size, []
        for start in range(0, len(pool), size):
            images = np.stack([pool.image(i) for i in range(start, min(start + size, len(pool)))])
            out.append(torch.from_numpy(images).permute(0, 3, 1, 2).to(self.device))
        return out

    def _train_epoch(self, pool: TrainingPool, synth: RealNetSynthesizer, rng: np.random.Generator,
                     optimizer: torch.optim.Optimizer, cache: list[torch.Tensor], loop: EpochLoop) -> dict:
        """One epoch of ``ceil(N / batch)`` steps; loss = CE(head) + sum of per-block feature MSE."""
        self.model.train()
        start, sums = time.perf_counter(), {"loss": 0.0, "ce": 0.0, "mse": 0.0}
        steps = math.ceil(len(pool) / self.config.batch_size)
        for step in range(steps):
            index = rng.integers(0, len(pool), self.config.batch_size)  # as make_batch: with replacement
            samples = [synth(pool, int(i), rng) for i in index]
            _, image, mask = (t.to(self.device) for t in stack_samples(samples))
            targets = [c[torch.from_numpy(index)].to(self.device) for c in cache]
            feats = self._input_features(image, targets, [s.has_anomaly > 0 for s in samples])
            logits, recons = self.model.from_features(feats, image.shape[-2:])
            ce = F.cross_entropy(logits, mask[:, 0].long())
            mse = sum(F.mse_loss(r, t) for r, t in zip(recons, targets, strict=True))
            loss = ce + mse
            loop.check_loss(loss, step)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            for k, v in {"loss": loss.item(), "ce": ce.item(), "mse": mse.item()}.items():
                sums[k] += v / steps
        return sums | {"seconds": time.perf_counter() - start}

    def _input_features(self, image: torch.Tensor, clean: list[torch.Tensor], anomalous: list[bool]
                        ) -> list[torch.Tensor]:
        """Features of the batch: the backbone runs on the anomalous samples only (normal = clean)."""
        rows = torch.tensor(anomalous, device=image.device)
        if not rows.any():
            return clean
        fresh = self.model.features(image[rows])
        out = [c.clone() for c in clean]
        for o, f in zip(out, fresh, strict=True):
            o[rows] = f
        return out

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> Prediction:
        """Images ``(B, 3, H, W)`` in ``[0, 1]`` -> scores ``(B,)`` and maps ``(B, H, W)``."""
        self.model.eval()
        k = score_pool_size(self.config)

        def score_and_map(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            prob = torch.softmax(self.model(x)[0], dim=1)[:, 1:]
            return F.avg_pool2d(prob, k, stride=1).amax(dim=(1, 2, 3)), prob  # unpadded, as the official code

        return predict_resized(images, self.config.image_size, self.config.eval_batch_size, self.device,
                               score_and_map)


def build_model(cfg: Config, extractor=None) -> RealNetModel:
    """The :class:`RealNetModel` of ``cfg`` (re-using a frozen ``extractor`` when given)."""
    selection: Selection = cfg.selection
    mode: RRSMode = cfg.rrs_mode
    unet = dict(hide_ratio=cfg.hide_ratio, channel_mult=tuple(cfg.channel_mult),
                num_res_blocks=cfg.num_res_blocks, attention_levels=tuple(cfg.attention_levels),
                head_channels=cfg.head_channels)
    return RealNetModel(cfg.layers, cfg.feature_dims, selection, cfg.backbone_weights, unet, mode,
                        cfg.rrs_retention, tuple(cfg.head_widths), extractor,  # type: ignore[arg-type]
                        cfg.backbone)


def score_pool_size(cfg: Config) -> int:
    """Image-score average-pool side: 16 at 256 px, scaled to ``image_size`` when configured (>= 1)."""
    k = cfg.score_pool * cfg.image_size / 256 if cfg.scale_score_pool else cfg.score_pool
    return max(1, min(round(k), cfg.image_size))


def afs_json_path(checkpoint: str | Path) -> Path:
    """Where ``fit`` caches the selected channels: ``<checkpoint>.afs.json``."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.name + ".afs.json")
