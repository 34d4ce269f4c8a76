"""Vectorised 2D Perlin noise and DRAEM's Perlin anomaly masks.

DRAEM (Zavrtanik et al., ICCV 2021, Sec. 3.3; official ``perlin.py`` / ``data_loader.py``, see
docs/official-code.md#draem-synthesis) draws a Perlin noise image with ``2**randint(0, 6)`` lattice cells
per axis (upper bound exclusive: 1..32 cells), rotates it by ``U(-90, 90)`` degrees and binarises it at
0.5. RealNet and DMP use the identical recipe.
"""

from __future__ import annotations

import cv2
import numpy as np


def _fade(t: np.ndarray) -> np.ndarray:
    """Perlin's quintic fade curve 6t^5 - 15t^4 + 10t^3 (Perlin 2002, as in DRAEM's ``perlin.py``)."""
    return ((6 * t - 15) * t + 10) * t * t * t


def perlin_noise(shape: tuple[int, int], res: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Gradient (Perlin) noise on a ``res[0] x res[1]`` lattice, sampled at ``shape`` pixels.

    Unlike DRAEM's version, ``shape`` need not be a multiple of ``res``: every pixel is mapped to
    lattice coordinates directly, which gives the same field when it is a multiple.

    Args:
        shape: ``(H, W)`` of the output.
        res: Number of lattice cells along each axis (``>= 1``).
        rng: Source of the random gradient angles.

    Returns:
        Float32 array ``(H, W)``, values roughly in ``[-1, 1]`` (scaled by sqrt(2) as in DRAEM).
    """
    h, w = shape
    ys = np.arange(h) * (res[0] / h)
    xs = np.arange(w) * (res[1] / w)
    yi, xi = ys.astype(int), xs.astype(int)
    fy, fx = (ys - yi)[:, None], (xs - xi)[None, :]
    angles = 2 * np.pi * rng.random((res[0] + 1, res[1] + 1))
    gy, gx = np.cos(angles), np.sin(angles)

    def corner(dy: int, dx: int) -> np.ndarray:
        # Dot product of the corner gradient with the offset from that corner.
        iy, ix = (yi + dy)[:, None], (xi + dx)[None, :]
        return gy[iy, ix] * (fy - dy) + gx[iy, ix] * (fx - dx)

    ty, tx = _fade(fy), _fade(fx)
    top = corner(0, 0) + tx * (corner(0, 1) - corner(0, 0))
    bottom = corner(1, 0) + tx * (corner(1, 1) - corner(1, 0))
    return (np.sqrt(2) * (top + ty * (bottom - top))).astype(np.float32)


def rotate(image: np.ndarray, angle: float, order: int = 1) -> np.ndarray:
    """Rotate about the centre, keeping the size, zero outside (imgaug ``Affine(rotate=...)`` defaults).

    Args:
        image: ``(H, W)`` or ``(H, W, C)`` array.
        angle: Degrees, counter-clockwise.
        order: 0 nearest, 1 bilinear.

    Returns:
        Array of the same shape and dtype.
    """
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, 1.0)
    flags = cv2.INTER_NEAREST if order == 0 else cv2.INTER_LINEAR
    out = cv2.warpAffine(image, matrix, (w, h), flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return out.reshape(image.shape)


def perlin_mask(
    shape: tuple[int, int],
    rng: np.random.Generator,
    min_scale: int = 0,
    max_scale: int = 6,
    threshold: float = 0.5,
    rotation: tuple[float, float] | None = (-90.0, 90.0),
) -> np.ndarray:
    """DRAEM's binary Perlin anomaly mask.

    Args:
        shape: ``(H, W)``.
        rng: Random generator (scales, gradients, angle are drawn in this order).
        min_scale: Smallest exponent: cells per axis = ``2**randint(min_scale, max_scale)``.
        max_scale: Exclusive upper bound of the exponent (DRAEM: 6 -> at most 32 cells).
        threshold: Noise values above it become anomalous (DRAEM: 0.5).
        rotation: Angle range in degrees of the random rotation, ``None`` for none.

    Returns:
        Float32 mask ``(H, W)`` with values in ``{0, 1}``; it may be empty.
    """
    sy = 2 ** int(rng.integers(min_scale, max_scale))
    sx = 2 ** int(rng.integers(min_scale, max_scale))
    noise = perlin_noise(shape, (sy, sx), rng)
    if rotation is not None:
        noise = rotate(noise, float(rng.uniform(*rotation)))
    return (noise > threshold).astype(np.float32)
