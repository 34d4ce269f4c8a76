"""PatchCore adapter: memory bank, coreset, inference and the :class:`~synthad.methods.base.Method` contract.

Roth, Pemula, Zepeda, Schölkopf, Brox, Gehler, "Towards Total Recall in Industrial Anomaly
Detection", CVPR 2022. A reference method without synthetic anomalies: pretrained features of
the good images and a nearest-neighbour search. See README.md in this folder for the
component -> code map and the deviations.
"""

from __future__ import annotations

import time
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from synthad.errors import DataError
from synthad.methods.base import FitContext, Method, Prediction
from synthad.methods.inference import predict_resized, resize
from synthad.methods.patchcore.config import Config
from synthad.methods.patchcore.coreset import coreset_size, greedy_coreset, random_projection
from synthad.methods.patchcore.features import PatchFeatures
from synthad.methods.patchcore.scoring import image_scores, nearest, smooth
from synthad.methods.registry import register


@register("patchcore")
class PatchCore(Method):
    """PatchCore: locally aware patch features, a coreset memory bank, nearest-neighbour scores."""

    Config = Config
    needs = frozenset()

    def __init__(self, config: Config | None = None, device: torch.device | str = "cpu"):
        super().__init__(config or Config(), device)
        self.features = PatchFeatures(self.config).to(self.device)
        self.bank: torch.Tensor | None = None  # (M, target_embed_dim)

    def fit(self, train: Dataset, context: FitContext) -> None:
        """Fill the memory bank with every training patch feature, then keep a greedy coreset.

        One deterministic pass (frozen backbone, seeded coreset start and projection): there is
        nothing to resume, so ``context.checkpoint_path`` is not used.

        Raises:
            DataError: The training set is empty.
        """
        cfg, start = self.config, time.perf_counter()
        context.seed_generators()
        generator = torch.Generator().manual_seed(context.seed)
        self.device = context.device
        self.features.to(self.device)
        patches, n_images = self._training_patches(train, context.progress)
        n_patches, keep = len(patches), coreset_size(len(patches), cfg.coreset_ratio)
        if keep < n_patches:
            # projected on the CPU (seeded draw), selected on the device: the selection is the slow part
            projected = random_projection(patches, cfg.coreset_projection_dim, generator).to(self.device)
            patches = patches[greedy_coreset(projected, keep, generator, context.progress)]
        self.bank = patches.to(self.device)
        context.log({"epoch": 0, "n_images": float(n_images), "n_patches": float(n_patches),
                     "bank_size": float(keep), "seconds": time.perf_counter() - start})

    @torch.no_grad()
    def _training_patches(self, train: Dataset, progress: bool) -> tuple[torch.Tensor, int]:
        """Patch features of every training image, ``(N * h * w, D)`` on the CPU, and ``N``."""
        loader = DataLoader(train, batch_size=self.config.batch_size, shuffle=False)
        chunks = []
        for batch in tqdm(loader, desc="patchcore features", disable=not progress):
            chunks.append(self._embed(batch["image"]).cpu())
        if not chunks:
            raise DataError("patchcore: the training set is empty")
        feats = torch.cat(chunks)  # (N, D, h, w)
        return feats.permute(0, 2, 3, 1).reshape(-1, feats.shape[1]), len(feats)

    def _embed(self, images: torch.Tensor) -> torch.Tensor:
        """Images ``(B, 3, H, W)`` in ``[0, 1]`` -> patch features ``(B, D, h, w)`` at ``image_size``."""
        size = self.config.image_size
        self.features.eval()
        return self.features(resize(images.to(self.device, torch.float32), (size, size)))

    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> Prediction:
        """Score images ``(B, 3, H, W)`` in ``[0, 1]``.

        Returns:
            scores ``(B,)`` (Eq. 7, or the maximum patch distance with ``reweight: false``); maps
            ``(B, H, W)``: patch distances up-sampled bilinearly, Gaussian-smoothed at
            ``image_size``, resized to ``(H, W)``.
        """
        if self.bank is None:
            raise RuntimeError("patchcore: predict() called before fit() or load_state_dict()")
        cfg = self.config
        return predict_resized(images, cfg.image_size, cfg.eval_batch_size, self.device, self._score_and_map)

    def _score_and_map(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x (b, 3, S, S)`` -> ``scores (b,)``, ``maps (b, 1, S, S)``."""
        cfg, bank = self.config, self.bank
        feats = self._embed(x)  # (b, D, h, w)
        b, d, h, w = feats.shape
        queries = feats.permute(0, 2, 3, 1).reshape(b, h * w, d)
        dist, idx = nearest(queries.reshape(-1, d), bank)
        dist, idx = dist.reshape(b, h * w), idx.reshape(b, h * w)
        scores = image_scores(queries, dist, idx, bank, cfg.reweight_neighbours, cfg.reweight)
        maps = smooth(resize(dist.reshape(b, 1, h, w), tuple(x.shape[-2:])), cfg.sigma)
        return scores, maps

    def state_dict(self) -> dict[str, Any]:
        """``{"bank": (M, D) float tensor}``; the frozen backbone is rebuilt from its package / seed."""
        if self.bank is None:
            raise RuntimeError("patchcore: state_dict() called before fit()")
        return {"bank": self.bank.detach().cpu()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the memory bank; its feature dimension must match ``config.target_embed_dim``."""
        bank = state["bank"]
        if bank.ndim != 2 or bank.shape[1] != self.config.target_embed_dim or len(bank) == 0:
            raise ValueError(f"patchcore: stored bank has shape {tuple(bank.shape)},"
                             f" expected (M >= 1, {self.config.target_embed_dim})")
        self.bank = bank.float().to(self.device)
