"""Training-loop helpers every synthetic-anomaly method shares: the in-memory pool and batches."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from synthad.synthesis.sample import SyntheticSample, TrainingPool


def load_pool(train: Dataset, size: int, name: str = "method") -> TrainingPool:
    """All training images (and foregrounds, when the items carry them) as a :class:`TrainingPool`.

    Args:
        train: Items with ``image`` ``(3, H, W)`` in ``[0, 1]`` and optionally ``foreground`` ``(1, H, W)``.
        size: Side the images are resized to (bilinear; foregrounds nearest).
        name: Method name for the error message.

    Returns:
        A pool of uint8 ``(N, size, size, 3)`` images (originals are 8-bit, so lossless at their size).

    Raises:
        ValueError: The training set is empty.
    """
    images, foregrounds = [], []
    for i in range(len(train)):
        item = train[i]
        images.append(_to_uint8(_resize(item["image"], size, "bilinear")))
        if "foreground" in item:
            foreground = _resize(item["foreground"], size, "nearest")[0]
            foregrounds.append((foreground > 0.5).numpy().astype(np.uint8))
    if not images:
        raise ValueError(f"{name}: the training set is empty")
    return TrainingPool(np.stack(images), np.stack(foregrounds) if len(foregrounds) == len(images) else None)


def make_batch(pool: TrainingPool, synth: Callable[..., SyntheticSample], rng: np.random.Generator,
               batch_size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random images (with replacement, as DRAEM's loader) -> (normal, augmented, mask) tensors.

    Returns:
        ``normal (B, 3, S, S)``, ``augmented (B, 3, S, S)``, ``mask (B, 1, S, S)``, floats in ``[0, 1]``.
    """
    samples = [synth(pool, int(i), rng) for i in rng.integers(0, len(pool), batch_size)]
    return stack_samples(samples)


def stack_samples(samples: list[SyntheticSample]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Samples -> ``normal (B, 3, S, S)``, ``image (B, 3, S, S)``, ``mask (B, 1, S, S)`` float tensors."""

    def stack(arrays: list[np.ndarray]) -> torch.Tensor:
        return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous().float()

    return (stack([s.normal for s in samples]), stack([s.image for s in samples]),
            stack([s.mask[..., None] for s in samples]))


def _resize(x: torch.Tensor, size: int, mode: str) -> torch.Tensor:
    if x.shape[-2:] == (size, size):
        return x
    kwargs = {"align_corners": False} if mode == "bilinear" else {}
    return F.interpolate(x[None].float(), size=(size, size), mode=mode, **kwargs)[0]


def _to_uint8(image: torch.Tensor) -> np.ndarray:
    return (image.permute(1, 2, 0).clamp(0, 1) * 255).round().to(torch.uint8).numpy()
