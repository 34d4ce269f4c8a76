"""What every synthesizer reads and returns: the training pool, anomaly sources, one sample.

A *synthesizer* (one per paper: :class:`~synthad.synthesis.draem.DraemSynthesizer`, DMP, NDP-Net,
Lv et al.'s DGM, SLSG, RealNet) is a callable ``synth(pool, index, rng) -> SyntheticSample``. It
draws everything random from ``rng`` (a ``numpy.random.Generator``), so a seed fully determines the
sample. ``pool`` holds the category's defect-free *training* images with their foreground masks:
some papers take the anomaly source from another training image (DMP, SLSG's logical branch), and
test images are never in it. Other sources (textures, natural images, SDAS samples) are banks
(:mod:`synthad.banks`) or anything with the :class:`ImageSource` interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


class ImageSource(Protocol):
    """Random anomaly-source images: a bank, or any object with this method."""

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """One random source image, RGB uint8 ``(H, W, 3)`` at the training resolution."""


@dataclass
class SyntheticSample:
    """One training sample.

    Attributes:
        normal: The defect-free target ``(H, W, 3)`` float32 in ``[0, 1]`` (possibly rotated, as in
            DRAEM); reconstruction methods are trained towards it.
        image: The synthetic anomalous image ``(H, W, 3)`` float32 in ``[0, 1]`` (``normal`` itself
            when no anomaly was drawn).
        mask: Anomaly mask ``(H, W)`` float32 in ``{0, 1}``; empty for a normal sample.
        has_anomaly: 1.0 when ``mask`` is non-empty, else 0.0.
        kind: Which branch made it (``"normal"``, ``"texture"``, ``"natural"``, ``"same_data"``,
            ``"sdas"``, ``"darken"``, ``"lighten"``, ``"permuted"``, ``"logical"``, ...); shown on
            contact sheets and logged by methods that balance branches.
    """

    normal: np.ndarray
    image: np.ndarray
    mask: np.ndarray
    has_anomaly: float
    kind: str = "normal"


def normal_sample(image: np.ndarray, kind: str = "normal") -> SyntheticSample:
    """A sample without anomaly: ``image`` unchanged and an empty mask."""
    image = image.astype(np.float32, copy=False)
    return SyntheticSample(image, image, np.zeros(image.shape[:2], np.float32), 0.0, kind)


def finish(normal: np.ndarray, augmented: np.ndarray, mask: np.ndarray, kind: str) -> SyntheticSample:
    """Package a blended result; an empty mask makes it a normal sample (as DRAEM's ``has_anomaly``)."""
    mask = mask.astype(np.float32, copy=False)
    has = float(mask.any())
    return SyntheticSample(normal.astype(np.float32, copy=False), augmented.astype(np.float32, copy=False),
                           mask, has, kind if has else "normal")


class TrainingPool:
    """A category's defect-free training images and their foreground masks, at one resolution.

    Images are kept as uint8 (the originals are 8-bit, so nothing is lost) to hold large training
    sets in memory; :meth:`image` returns float32.

    Args:
        images: ``(N, H, W, 3)`` uint8, or float in ``[0, 1]`` (converted to uint8).
        foregrounds: ``(N, H, W)`` in ``{0, 1}``; ``None`` means the whole image.

    Raises:
        ValueError: Empty pool, or foregrounds of another shape.
    """

    def __init__(self, images: np.ndarray, foregrounds: np.ndarray | None = None):
        images = np.asarray(images)
        if images.ndim != 4 or images.shape[-1] != 3 or len(images) == 0:
            raise ValueError(f"pool images must be (N>0, H, W, 3), got {images.shape}")
        if images.dtype != np.uint8:
            images = (np.clip(images, 0, 1) * 255).round().astype(np.uint8)
        if foregrounds is None:
            foregrounds = np.ones(images.shape[:3], np.uint8)
        foregrounds = np.asarray(foregrounds)
        if foregrounds.shape != images.shape[:3]:
            raise ValueError(f"foregrounds {foregrounds.shape} do not match images {images.shape[:3]}")
        self.images, self.foregrounds = images, (foregrounds > 0.5).astype(np.uint8)

    def __len__(self) -> int:
        return len(self.images)

    @property
    def size(self) -> tuple[int, int]:
        """``(H, W)`` of every image."""
        return self.images.shape[1], self.images.shape[2]

    def image(self, index: int) -> np.ndarray:
        """Training image ``index`` as float32 ``(H, W, 3)`` in ``[0, 1]``."""
        return self.images[index].astype(np.float32) / 255.0

    def foreground(self, index: int) -> np.ndarray:
        """Foreground mask of image ``index``, float32 ``(H, W)`` in ``{0, 1}``."""
        return self.foregrounds[index].astype(np.float32)

    def other(self, index: int, rng: np.random.Generator) -> int:
        """A uniformly random index other than ``index`` (``index`` itself when the pool has one image)."""
        if len(self) == 1:
            return index
        j = int(rng.integers(len(self) - 1))
        return j + (j >= index)
