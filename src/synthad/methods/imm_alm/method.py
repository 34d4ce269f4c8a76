"""IMM + ALM adapter: both training phases, inference and the :class:`~synthad.methods.base.Method` contract.

Lv, Zhang, Shen, Zhang, "Unsupervised Automatic Defect Inspection based on Image Matching and Local
One-class Classification", CVPRW 2023. See README.md in this folder for the equation -> code map
and every deviation.

Training (Sec. 3.1: "IMM and ALM are separately trained"):

1. IMM (``imm_epochs``): the template ``I_T`` is training image ``U{0..N-1}`` drawn with
   ``template_seed``; ``N_P`` / ``N_R`` learn to warp every training image onto it (Eq. 1-2).
2. The training images (and foreground masks) are aligned once with the frozen IMM; ``F_C`` is the
   mean of the reduced ``F_Mixed`` of the aligned images (per position, or one vector).
3. ALM (``alm_epochs``): ``N_M`` is trained with Eq. 5 on DGM samples of the aligned images (Eq. 3
   without DGM), optionally with random rotation + translation (Table 2 "AUG").

Inference: resize to ``image_size``, align, ``H_Map`` = cosine distance of ``F_M`` to ``F_C``,
up-sampled; image score = max of the mean-filtered map in the aligned frame; the map is warped back
to the original frame with the inverse warp and resized to the input size.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from synthad.methods.base import FitContext, Method, Prediction
from synthad.methods.common import load_pool, make_batch
from synthad.methods.imm_alm.config import Config
from synthad.methods.imm_alm.geometry import affine_matrix, invert, random_params, warp
from synthad.methods.imm_alm.loss import cosine_distance, mapping_loss, registration_loss
from synthad.methods.imm_alm.model import ImmAlmModel, MixedFeatures
from synthad.methods.inference import mean_filter_max, predict_resized, resize, score_kernel_size
from synthad.methods.loop import EpochLoop, fit_identity
from synthad.methods.registry import register
from synthad.nn.backbones import calibrate_batchnorm
from synthad.nn.optim import adam
from synthad.synthesis import DgmSynthesizer, TrainingPool
from synthad.synthesis.sample import SyntheticSample, normal_sample

LOG_KEYS = ("loss", "reg", "normal", "defect")


def build_model(cfg: Config, features: MixedFeatures | None = None) -> ImmAlmModel:
    """The (untrained) networks of ``cfg``, re-using a frozen backbone when given."""
    return ImmAlmModel(cfg.image_size, cfg.imm_widths, cfg.imm_hidden, cfg.backbone_weights,
                       cfg.feature_stride, cfg.feature_dim, cfg.reduction, cfg.mapping_widths,
                       cfg.center == "vector", features, cfg.backbone)


def template_index(n: int, seed: int) -> int:
    """Index of the template among ``n`` training images: ``U{0..n-1}`` from ``seed``."""
    return int(np.random.default_rng(seed).integers(n))


def to_tensor(pool: TrainingPool, index: np.ndarray | range) -> torch.Tensor:
    """Pool images ``index`` as float ``(B, 3, S, S)`` in ``[0, 1]``."""
    return torch.from_numpy(pool.images[np.asarray(index)]).permute(0, 3, 1, 2).float() / 255.0


def _normal_only(pool: TrainingPool, index: int, rng: np.random.Generator) -> SyntheticSample:
    """The sampler without DGM: training image ``index`` unchanged (Eq. 3 trains on these only)."""
    return normal_sample(pool.image(index))


@register("imm_alm")
class ImmAlm(Method):
    """Lv et al.: image matching to a template (IMM) + local one-class feature mapping (ALM) with DGM."""

    Config = Config
    needs = frozenset({"foreground_masks", "natural"})
    # model.pt: IMM, N_M, template, centre and reduction, not the backbone (cache or fixed seed)
    frozen = ("features",)
    model: ImmAlmModel

    @classmethod
    def needs_for(cls, config: Config) -> frozenset[str]:
        """DGM replaces regions by natural images (VOC in the paper); without DGM no bank is read."""
        return cls.needs if config.dgm else frozenset({"foreground_masks"})

    def __init__(self, config: Config, device: torch.device | str = "cpu"):
        super().__init__(config, device)
        self.model = build_model(config).to(self.device)

    # ------------------------------------------------------------------ training
    def fit(self, train: Dataset, context: FitContext) -> None:
        """IMM, then centre, then ALM (module docstring); resumes from ``context.checkpoint_path``."""
        cfg, device = self.config, context.device
        rng = context.seed_generators()
        self.device = device
        self.model = build_model(cfg, self.model.features).to(device)
        pool = load_pool(train, cfg.image_size, "IMM+ALM")
        self.model.template.copy_(to_tensor(pool, [template_index(len(pool), cfg.template_seed)])[0])
        imm_opt = adam(self.model.matcher.parameters(), lr=cfg.imm_lr)
        alm_opt = adam(self.model.mapping.parameters(), lr=cfg.lr)
        objects = {"model": self.weights(), "imm_optimizer": imm_opt, "alm_optimizer": alm_opt}
        identity = fit_identity(cfg, context.seed, len(pool))
        imm_epochs = cfg.imm_epochs if cfg.imm else 0
        loop = EpochLoop(context, imm_epochs + cfg.alm_epochs, "imm_alm", objects, rng, identity)
        synth = DgmSynthesizer(context.bank("natural", cfg.image_size), anomaly_prob=cfg.anomaly_prob) \
            if cfg.dgm else _normal_only
        aligned = None
        for epoch in loop:
            if epoch < imm_epochs:
                row = self._imm_epoch(pool, rng, imm_opt, loop) | {"phase": 0, "lr": cfg.imm_lr}
            else:
                if aligned is None:
                    aligned = self.align_pool(pool)
                if epoch == imm_epochs:  # on a resume past this point both come from the checkpoint
                    if cfg.calibrate_backbone:
                        calibrate_batchnorm(self.model.features, self._batches(aligned))
                    self.fit_center(aligned)
                row = self._alm_epoch(aligned, synth, rng, alm_opt, loop) | {"phase": 1, "lr": cfg.lr}
            loop.log(row | {"epoch": epoch + 1}, "loss")
        self.model.eval()

    def _imm_epoch(self, pool: TrainingPool, rng: np.random.Generator,
                   optimizer: torch.optim.Optimizer, loop: EpochLoop) -> dict:
        """``ceil(N / imm_batch_size)`` steps of Eq. 1 on random training images (with replacement)."""
        cfg, model = self.config, self.model
        model.matcher.train()
        start, sums = time.perf_counter(), dict.fromkeys(LOG_KEYS, 0.0)
        steps = math.ceil(len(pool) / cfg.imm_batch_size)
        for step in range(steps):
            x = to_tensor(pool, rng.integers(0, len(pool), cfg.imm_batch_size)).to(self.device)
            aligned, _ = model.matcher(x, model.template, cfg.imm_padding)
            loss = registration_loss(aligned, model.template)
            loop.check_loss(loss, step)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            sums["loss"] += loss.item() / steps
        model.matcher.eval()
        return sums | {"reg": sums["loss"], "seconds": time.perf_counter() - start}

    @torch.no_grad()
    def align_pool(self, pool: TrainingPool) -> TrainingPool:
        """The training images and foregrounds warped onto the template by the frozen IMM (or as they are)."""
        if not self.config.imm:
            return pool
        self.model.matcher.eval()
        images, foregrounds = [], []
        for chunk in self._chunks(len(pool)):
            x = to_tensor(pool, chunk).to(self.device)
            aligned, matrix = self.model.matcher(x, self.model.template, self.config.imm_padding)
            fg = torch.from_numpy(pool.foregrounds[chunk]).float()[:, None].to(self.device)
            # Outside the original image there is no object: foreground padding is zero.
            foregrounds.append(warp(fg, matrix, mode="nearest", padding="zeros")[:, 0].cpu().numpy())
            images.append(aligned.permute(0, 2, 3, 1).cpu().numpy())
        return TrainingPool(np.concatenate(images), np.concatenate(foregrounds))

    def _chunks(self, n: int) -> list[np.ndarray]:
        """Indices ``0..n-1`` in consecutive chunks of at most ``eval_batch_size``."""
        return np.array_split(np.arange(n), math.ceil(n / self.config.eval_batch_size))

    def _batches(self, pool: TrainingPool) -> Iterator[torch.Tensor]:
        """``pool``'s images in consecutive ``(b, 3, S, S)`` batches on the device."""
        return (to_tensor(pool, chunk).to(self.device) for chunk in self._chunks(len(pool)))

    @torch.no_grad()
    def fit_center(self, aligned: TrainingPool) -> None:
        """``F_C`` = mean of the reduced ``F_Mixed`` over all (aligned) training images."""
        total = None
        for images in self._batches(aligned):
            reduced = self.model.reduce(self.model.features(images))
            total = reduced.sum(0) if total is None else total + reduced.sum(0)
        center = total / len(aligned)
        if self.config.center == "vector":
            center = center.mean(dim=(1, 2), keepdim=True)
        self.model.center.copy_(center)

    def _alm_epoch(self, pool: TrainingPool, synth, rng: np.random.Generator,
                   optimizer: torch.optim.Optimizer, loop: EpochLoop) -> dict:
        """``ceil(N / batch_size)`` steps of Eq. 5 (Eq. 3 without DGM) on aligned training images."""
        cfg, model = self.config, self.model
        model.mapping.train()
        start, sums = time.perf_counter(), dict.fromkeys(LOG_KEYS, 0.0)
        steps = math.ceil(len(pool) / cfg.batch_size)
        for step in range(steps):
            _, image, mask = make_batch(pool, synth, rng, cfg.batch_size)
            if cfg.augment:
                image, mask = self.augment(image, mask, rng)
            features = model.embed(image.to(self.device))
            defect = self.downscale(mask.to(self.device), features.shape[-2:]) if cfg.dgm else None
            loss, terms = mapping_loss(features, model.center, defect, cfg.margin, cfg.balanced_loss)
            loop.check_loss(loss, step)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            for k, v in (terms | {"loss": loss.item()}).items():
                sums[k] += v / steps
        model.mapping.eval()
        return sums | {"seconds": time.perf_counter() - start}

    def augment(self, image: torch.Tensor, mask: torch.Tensor, rng: np.random.Generator
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Table 2 "AUG": one random rotation + translation per sample, applied to image and mask alike."""
        cfg = self.config
        matrix = affine_matrix(random_params(len(image), rng, cfg.augment_degrees, cfg.augment_shift))
        return (warp(image, matrix, padding=cfg.imm_padding),
                warp(mask, matrix, mode="nearest", padding="zeros"))

    def downscale(self, mask: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """``M`` ``(B, 1, S, S)`` -> ``M_s`` ``(B, h, w)``: cells at least ``mask_threshold`` defective."""
        area = F.interpolate(mask, size=tuple(size), mode="area")[:, 0]
        return (area >= self.config.mask_threshold).float()

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> Prediction:
        """Images ``(B, 3, H, W)`` in ``[0, 1]`` -> scores ``(B,)``, maps ``(B, H, W)`` in the input frame."""
        cfg, model = self.config, self.model.eval()
        size, k = cfg.image_size, score_kernel_size(cfg)

        def score_and_map(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            matrix = None
            if cfg.imm:
                x, matrix = model.matcher(x, model.template, cfg.imm_padding)
            heat = resize(cosine_distance(model.embed(x), model.center)[:, None], (size, size))
            score = mean_filter_max(heat, k)  # in the aligned frame: border padding never enters it
            if matrix is not None:  # back to the input's frame, so maps line up with its masks
                heat = warp(heat, invert(matrix), padding="border")
            return score, heat

        return predict_resized(images, size, cfg.eval_batch_size, self.device, score_and_map)
