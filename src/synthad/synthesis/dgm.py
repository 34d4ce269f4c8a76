"""Lv et al.'s defect generation module, DGM (CVPRW 2023, Sec. 2.3, Fig. 7).

"DGM firstly random selects a region on the defect-free images I_M, marked as M. Then, the regions
covered by M are randomly darkened or lightened or directly replaced with images from VOC". The
paper gives neither the region's shape nor the factors; everything below marked "our choice" fills
that gap and is a keyword parameter:

* region: one filled ellipse, area ``U(0.5 %, 5 %)`` of the image, axis ratio ``U(1/3, 3)``,
  any orientation, centred on a random foreground pixel and clipped to the foreground;
* darken / lighten: blend towards black / white with strength ``s ~ U(0.2, 0.6)`` inside M
  (``I (1 - s)`` and ``I + s (1 - I)``), through the same :func:`blend` as every paste;
* replace: a natural image (VOC in the paper; any ``natural`` source here) pasted fully opaque;
* the three operations are equally likely, and half of the samples stay defect-free (Eq. 5
  trains on normal regions too).
"""

from __future__ import annotations

from typing import ClassVar

import cv2
import numpy as np

from synthad.synthesis.blend import blend
from synthad.synthesis.common import check_size, choose, to_float
from synthad.synthesis.sample import ImageSource, SyntheticSample, TrainingPool, finish, normal_sample

OPERATIONS = ("darken", "lighten", "natural")


def ellipse_mask(
    shape: tuple[int, int], rng: np.random.Generator, foreground: np.ndarray | None = None,
    area: tuple[float, float] = (0.005, 0.05), aspect: tuple[float, float] = (1 / 3, 3.0),
) -> np.ndarray:
    """DGM's random region ``M`` (Lv et al., Sec. 2.3; shape: our choice, the paper is silent).

    Args:
        shape: ``(H, W)``.
        rng: Random generator.
        foreground: ``(H, W)`` in ``{0, 1}``; the centre is a random foreground pixel and ``M`` is
            clipped to it. ``None``: anywhere.
        area: Range of the ellipse area as a fraction of ``H * W`` (before clipping).
        aspect: Range of the ratio of the two semi-axes.

    Returns:
        Float32 ``(H, W)`` in ``{0, 1}``; empty when the foreground is empty.
    """
    h, w = shape
    fg = np.ones(shape, bool) if foreground is None else np.asarray(foreground) > 0.5
    ys, xs = np.nonzero(fg)
    if len(ys) == 0:
        return np.zeros(shape, np.float32)
    k = int(rng.integers(len(ys)))
    target, ratio = rng.uniform(*area) * h * w, rng.uniform(*aspect)
    # Semi-axes a, b with pi * a * b = target area and a / b = ratio.
    a, b = np.sqrt(target * ratio / np.pi), np.sqrt(target / (ratio * np.pi))
    mask = np.zeros(shape, np.uint8)
    axes = (max(1, round(a)), max(1, round(b)))
    cv2.ellipse(mask, (int(xs[k]), int(ys[k])), axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
    return (mask.astype(bool) & fg).astype(np.float32)


def dgm_anomaly(
    image: np.ndarray, mask: np.ndarray, operation: str, rng: np.random.Generator,
    natural: np.ndarray | None = None, strength: tuple[float, float] = (0.2, 0.6),
) -> np.ndarray:
    """DGM's change of region ``M`` (Lv et al., Sec. 2.3): darken, lighten or replace by a natural image.

    Args:
        image: Defect-free ``I_M`` float32 ``(H, W, 3)`` in ``[0, 1]``.
        mask: ``M`` ``(H, W)`` in ``{0, 1}``.
        operation: ``"darken"``, ``"lighten"`` or ``"natural"`` (replace).
        rng: Random generator (draws the strength).
        natural: RGB uint8 ``(H, W, 3)``, needed for ``"natural"``.
        strength: Range of ``s`` for darken (``I (1 - s)``) and lighten (``I + s (1 - I)``); our
            choice, the paper is silent.

    Returns:
        ``I_M+`` float32 ``(H, W, 3)``.

    Raises:
        ValueError: Unknown operation, or ``"natural"`` without an image.
    """
    if operation == "natural":
        if natural is None:
            raise ValueError("DGM 'natural' replacement needs a natural image")
        return blend(image, to_float(natural), mask, 1.0).astype(np.float32)
    if operation not in ("darken", "lighten"):
        raise ValueError(f"unknown DGM operation {operation!r}; known: {', '.join(OPERATIONS)}")
    target = np.zeros_like(image) if operation == "darken" else np.ones_like(image)
    return blend(image, target, mask, float(rng.uniform(*strength))).astype(np.float32)


class DgmSynthesizer:
    """Lv et al.'s DGM as a training-sample generator (protocol of ``sample.py``).

    All defaults are our choice (the paper is silent; see the module docstring).

    Args:
        natural: Natural-image source (VOC in the paper), RGB uint8 at the pool's size.
        anomaly_prob: Probability of a defect.
        darken_prob, lighten_prob, natural_prob: Relative weights of the three operations.
        in_foreground: Put the region on the object (pool foreground) only.
        area, aspect: Region parameters, see :func:`ellipse_mask`.
        strength: Darken/lighten strength range, see :func:`dgm_anomaly`.
    """

    needs: ClassVar[frozenset[str]] = frozenset({"natural"})

    def __init__(self, natural: ImageSource, *, anomaly_prob: float = 0.5, darken_prob: float = 1 / 3,
                 lighten_prob: float = 1 / 3, natural_prob: float = 1 / 3, in_foreground: bool = True,
                 area: tuple[float, float] = (0.005, 0.05), aspect: tuple[float, float] = (1 / 3, 3.0),
                 strength: tuple[float, float] = (0.2, 0.6)):
        self.natural, self.anomaly_prob, self.in_foreground = natural, anomaly_prob, in_foreground
        self.weights = {"darken": darken_prob, "lighten": lighten_prob, "natural": natural_prob}
        self.area, self.aspect, self.strength = area, aspect, strength

    def __call__(self, pool: TrainingPool, index: int, rng: np.random.Generator) -> SyntheticSample:
        """One sample from training image ``index``; ``kind`` is the operation."""
        normal = pool.image(index)
        if rng.random() >= self.anomaly_prob:
            return normal_sample(normal)
        operation = choose(rng, self.weights)
        fg = pool.foreground(index) if self.in_foreground else None
        mask = ellipse_mask(pool.size, rng, fg, self.area, self.aspect)
        natural = None
        if operation == "natural":
            natural = check_size(self.natural.sample(rng), pool.size, "natural")
        image = dgm_anomaly(normal, mask, operation, rng, natural, self.strength)
        return finish(normal, image, mask, operation)
