"""Pieces shared by the per-paper synthesizers (DMP, NDP-Net, DGM, SLSG, RealNet).

Each idea lives here once: a Perlin mask restricted to foreground masks (DMP Eq. 1, SLSG's
"foreground enhancement", RealNet's Perlin x foreground), rotating a training image together with
its foreground, drawing one branch of a synthesizer by probability, and turning an 8-bit source
image into float. The Perlin recipe itself is :func:`~synthad.synthesis.perlin.perlin_mask`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from synthad.synthesis.draem import rotate_original
from synthad.synthesis.perlin import perlin_mask


def foreground_perlin_mask(
    shape: tuple[int, int],
    rng: np.random.Generator,
    *foregrounds: np.ndarray | None,
    perlin_scales: tuple[int, int] = (0, 6),
    threshold: float = 0.5,
    min_area: int = 0,
    max_tries: int = 1,
) -> np.ndarray:
    """A binarised Perlin mask multiplied by foreground masks, redrawn while it is too small.

    Args:
        shape: ``(H, W)``.
        rng: Random generator.
        *foregrounds: ``(H, W)`` masks in ``{0, 1}`` to multiply with; ``None`` entries are skipped
            (no restriction).
        perlin_scales: ``(min, max)`` exponents of the Perlin lattice, max exclusive (DRAEM: 0, 6).
        threshold: Perlin binarisation threshold (DRAEM: 0.5).
        min_area: Redraw while the restricted mask has fewer pixels than this (SLSG code: 49; 0 = never).
        max_tries: At most this many masks are drawn; the last one is returned even if too small.

    Returns:
        Float32 mask ``(H, W)`` in ``{0, 1}``; may be empty (e.g. empty foreground).
    """
    for _ in range(max(1, max_tries)):
        mask = perlin_mask(shape, rng, perlin_scales[0], perlin_scales[1], threshold)
        for fg in foregrounds:
            if fg is not None:
                mask = mask * (np.asarray(fg) > 0.5)
        # The area is checked after the foreground product, as SLSG's code does.
        if mask.sum() >= min_area:
            break
    return mask.astype(np.float32)


def rotate_with_foreground(
    image: np.ndarray, foreground: np.ndarray, rng: np.random.Generator, p: float = 0.3,
    angle: tuple[float, float] = (-90.0, 90.0),
) -> tuple[np.ndarray, np.ndarray]:
    """DRAEM's rotation of the normal image (:func:`rotate_original`), applied to its foreground too.

    Stacking the foreground as a fourth channel makes both share one draw of the angle, so a mask
    restricted to the rotated foreground stays on the rotated object.

    Args:
        image: Float32 ``(H, W, 3)`` in ``[0, 1]``.
        foreground: ``(H, W)`` in ``{0, 1}``.
        rng: Random generator.
        p: Probability of rotating (DRAEM: 0.3).
        angle: Angle range in degrees.

    Returns:
        ``(image (H, W, 3) float32, foreground (H, W) float32 in {0, 1})``; outside the rotated
        image both are 0.
    """
    stacked = np.dstack([image, foreground]).astype(np.float32)
    out = rotate_original(stacked, rng, p, angle)
    return np.ascontiguousarray(out[..., :3]), (out[..., 3] > 0.5).astype(np.float32)


def choose(rng: np.random.Generator, probabilities: Mapping[str, float]) -> str:
    """Draw one key of ``probabilities`` (weights, normalised here).

    Raises:
        ValueError: A negative weight, or all weights zero.
    """
    names = list(probabilities)
    weights = np.array([probabilities[n] for n in names], float)
    if (weights < 0).any() or weights.sum() <= 0:
        raise ValueError(f"branch probabilities must be >= 0 with a positive sum, got {dict(probabilities)}")
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]


def to_float(image: np.ndarray) -> np.ndarray:
    """RGB uint8 ``(H, W, 3)`` -> float32 in ``[0, 1]``."""
    return np.asarray(image, np.float32) / 255.0


def check_size(source: np.ndarray, shape: tuple[int, int], what: str) -> np.ndarray:
    """Fail clearly when an anomaly source is not ``(H, W, 3)`` at the pool's size.

    Raises:
        ValueError: Naming ``what`` and both shapes.
    """
    if source.shape != (*shape, 3):
        raise ValueError(f"{what} source image is {source.shape}, expected {(*shape, 3)} (the pool's size)")
    return source
