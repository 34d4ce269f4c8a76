"""Test helpers for the per-paper synthesizers: an in-memory source, flat-colour pools, blend inversion."""

from __future__ import annotations

import numpy as np

from synthad.synthesis import TrainingPool

SIZE = 64


class ListSource:
    """An anomaly source over in-memory RGB uint8 images (the bank interface: ``sample(rng)``)."""

    def __init__(self, images):
        self.images = [np.asarray(i, np.uint8) for i in images]

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """A uniformly random image of the list."""
        return self.images[int(rng.integers(len(self.images)))]


def flat(colour, size: int = SIZE) -> np.ndarray:
    """A constant RGB uint8 image ``(size, size, 3)``."""
    return np.broadcast_to(np.asarray(colour, np.uint8), (size, size, 3)).copy()


def colour_pool(colours, foregrounds=None, size: int = SIZE) -> TrainingPool:
    """A pool whose image ``i`` is the flat colour ``colours[i]``."""
    return TrainingPool(np.stack([flat(c, size) for c in colours]), foregrounds)


def source_colour(out: np.ndarray, image_colour: np.ndarray, candidates: np.ndarray) -> tuple[int, float]:
    """Which candidate colour ``a`` and weight ``w`` explain ``out = (1 - w) image + w a``.

    Args:
        out: One blended RGB pixel in ``[0, 1]``.
        image_colour: The target's RGB colour in ``[0, 1]``.
        candidates: ``(K, 3)`` source colours in ``[0, 1]``.

    Returns:
        ``(index of the best candidate, its weight)``.
    """
    best = (-1, 0.0, np.inf)
    for k, a in enumerate(candidates):
        d = a - image_colour
        if not d.any():
            continue
        w = float(np.dot(out - image_colour, d) / np.dot(d, d))
        residual = float(np.abs(image_colour + w * d - out).max())
        if residual < best[2]:
            best = (k, w, residual)
    assert best[2] < 1e-4, f"{out} is no blend of {image_colour} with any candidate"
    return best[0], best[1]
