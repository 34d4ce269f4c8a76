"""The naive baseline ``mean_image``: per-pixel distance to the mean training image.

It has no parameters to learn beyond one image, the mean of the (resized) training images. The
anomaly map of a test image is the per-pixel Euclidean (L2) distance over the RGB channels between
the image and that mean; the image score is the maximum of the map. Every real method in SynthAD
must beat it; a data set on which it is near-perfect is too easy to tell methods apart.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from synthad.errors import DataError
from synthad.methods.base import FitContext, Method, Prediction
from synthad.methods.mean_image.config import Config
from synthad.methods.registry import register


@register("mean_image")
class MeanImage(Method):
    """Per-pixel L2 distance to the mean training image (see the module docstring)."""

    Config = Config
    needs = frozenset()

    def __init__(self, config: Config | None = None, device: torch.device | str = "cpu"):
        super().__init__(config or Config(), device)
        self.mean: torch.Tensor | None = None  # (3, S, S)

    def _resize(self, images: torch.Tensor, size: int) -> torch.Tensor:
        """Bilinear resize of ``(B, C, H, W)`` to ``(B, C, size, size)`` (no-op when equal)."""
        if images.shape[-2:] == (size, size):
            return images
        return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)

    def fit(self, train: Dataset, context: FitContext) -> None:
        """Average the training images ``(3, H, W)`` in ``[0, 1]`` at ``image_size``.

        Raises:
            DataError: The training set is empty.
        """
        size = self.config.image_size
        total, count = torch.zeros(3, size, size, dtype=torch.float64), 0
        loader = DataLoader(train, batch_size=self.config.batch_size, shuffle=False)
        for batch in tqdm(loader, desc="mean_image fit", disable=not context.progress):
            images = self._resize(batch["image"].double(), size)
            total += images.sum(dim=0)
            count += images.shape[0]
        if count == 0:
            raise DataError("mean_image: the training set is empty")
        self.mean = (total / count).float().to(self.device)
        context.log({"epoch": 0, "n_images": float(count)})

    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> Prediction:
        """Score images ``(B, 3, H, W)`` in ``[0, 1]``.

        Returns:
            scores ``(B,)`` = max of each map; maps ``(B, H, W)`` = L2 distance over RGB to the
            mean image, computed at ``image_size`` and resized bilinearly to ``(H, W)``.
        """
        if self.mean is None:
            raise RuntimeError("mean_image: predict() called before fit() or load_state_dict()")
        height, width = images.shape[-2:]
        small = self._resize(images.to(self.device, torch.float32), self.config.image_size)
        maps = (small - self.mean[None]).pow(2).sum(dim=1, keepdim=True).sqrt()  # (B, 1, S, S)
        if (height, width) != maps.shape[-2:]:
            maps = F.interpolate(maps, size=(height, width), mode="bilinear", align_corners=False)
        maps = maps[:, 0]
        return Prediction(scores=maps.flatten(1).amax(dim=1), maps=maps)

    def state_dict(self) -> dict[str, Any]:
        """``{"mean": (3, S, S) float tensor}``."""
        if self.mean is None:
            raise RuntimeError("mean_image: state_dict() called before fit()")
        return {"mean": self.mean.detach().cpu()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the mean image; its size must match ``config.image_size``."""
        mean = state["mean"]
        expected = (3, self.config.image_size, self.config.image_size)
        if tuple(mean.shape) != expected:
            raise ValueError(f"mean_image: stored mean has shape {tuple(mean.shape)}, expected {expected}")
        self.mean = mean.float().to(self.device)
