"""Procedural textures of the demo data set: fractal noise, woven fabric and veined marble.

Every renderer draws from the ``numpy.random.Generator`` it is given, so an image is a pure
function of its seed. Each call picks a new random phase (and small orientation/colour changes),
so two defect-free images of the same category are never pixel-aligned: that is exactly what
defeats a per-pixel mean-image detector while leaving the *local* appearance stationary, which a
learned local model can capture.

All images are float32 RGB ``(S, S, 3)`` in ``[0, 1]``.
"""

from __future__ import annotations

import cv2
import numpy as np


def fractal_noise(rng: np.random.Generator, size: int, octaves: int = 6, base: int = 2,
                  persistence: float = 0.55) -> np.ndarray:
    """Sum of upsampled random grids (value noise), roughly zero-mean with unit std.

    Args:
        rng: Random generator.
        size: Side ``S`` of the output.
        octaves: Number of octaves; octave ``o`` has a ``(base * 2**o + 1)`` grid.
        base: Grid cells of the coarsest octave.
        persistence: Amplitude ratio between consecutive octaves.

    Returns:
        float32 ``(S, S)``, standardised to mean 0 and std 1.
    """
    out = np.zeros((size, size), np.float32)
    for o in range(octaves):
        cells = min(base * 2**o, size // 2)
        grid = rng.standard_normal((cells + 1, cells + 1)).astype(np.float32)
        out += persistence**o * cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC)
    return (out - out.mean()) / (out.std() + 1e-6)


def _coords(rng: np.random.Generator, size: int, max_angle_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates rotated by a random small angle and shifted by a random phase."""
    theta = np.deg2rad(rng.uniform(-max_angle_deg, max_angle_deg))
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    u = x * np.cos(theta) + y * np.sin(theta) + rng.uniform(0, 1000)
    v = -x * np.sin(theta) + y * np.cos(theta) + rng.uniform(0, 1000)
    return u, v


def render_fabric(rng: np.random.Generator, size: int) -> np.ndarray:
    """A plain-weave fabric (denim-like blue warp, pale weft) with yarn-to-yarn variation.

    Thread pitch scales with ``size`` (about 9 px at 256). Each warp and weft yarn has its own
    brightness and a slight positional wobble; fibre noise and a low-frequency dye cloud vary
    from image to image.

    Args:
        rng: Random generator.
        size: Side ``S`` of the image.

    Returns:
        float32 RGB ``(S, S, 3)`` in ``[0, 1]``.
    """
    pitch = 9.0 * size / 256 * rng.uniform(0.95, 1.05)
    u, v = _coords(rng, size, 3.0)
    wobble = 0.25 * pitch * fractal_noise(rng, size, octaves=4, base=4)
    u, v = u / pitch + 0.05 * wobble, v / pitch
    iu, iv = np.floor(u).astype(np.int64), np.floor(v).astype(np.int64)
    fu, fv = u - iu, v - iv
    yarn_u = rng.uniform(0.8, 1.2, 4096).astype(np.float32)[iu % 4096]
    yarn_v = rng.uniform(0.8, 1.2, 4096).astype(np.float32)[iv % 4096]
    warp_top = (iu + iv) % 2 == 0
    # Across a yarn the surface is round (bright centre, dark gaps); along it the yarn dips under
    # the crossing one, hence the product of two profiles.
    across = np.where(warp_top, np.sin(np.pi * fu), np.sin(np.pi * fv)) ** 0.6
    along = 0.75 + 0.25 * np.where(warp_top, np.sin(np.pi * fv), np.sin(np.pi * fu))
    shade = (across * along * np.where(warp_top, yarn_u, yarn_v)).astype(np.float32)
    warp_rgb = np.array([0.20, 0.30, 0.55]) * rng.uniform(0.92, 1.08, 3)
    weft_rgb = np.array([0.72, 0.72, 0.68]) * rng.uniform(0.95, 1.05)
    colour = np.where(warp_top[..., None], warp_rgb, weft_rgb).astype(np.float32)
    fibre = 0.04 * rng.standard_normal((size, size)).astype(np.float32)
    cloud = 0.06 * fractal_noise(rng, size, octaves=3)
    image = colour * (0.25 + 0.75 * shade + fibre + cloud)[..., None]
    return np.clip(image, 0, 1)


def render_marble(rng: np.random.Generator, size: int) -> np.ndarray:
    """Veined stone: turbulent sine veins over a cloudy off-white base.

    Vein direction, frequency, turbulence and phase are random per image, so veins appear
    anywhere; the base tone and vein colour vary slightly.

    Args:
        rng: Random generator.
        size: Side ``S`` of the image.

    Returns:
        float32 RGB ``(S, S, 3)`` in ``[0, 1]``.
    """
    u, _ = _coords(rng, size, 90.0)
    turbulence = fractal_noise(rng, size, octaves=6, base=2)
    freq = rng.uniform(2.5, 4.0) * 2 * np.pi / size
    wave = np.sin(u * freq + rng.uniform(1.6, 2.4) * turbulence)
    veins = (1.0 - np.abs(wave)) ** rng.uniform(6.0, 10.0)  # thin dark lines where the sine crosses 0
    fine = fractal_noise(rng, size, octaves=6, base=8)
    fine_veins = (1.0 - np.abs(np.sin(3.0 * fine))) ** 14
    cloud = fractal_noise(rng, size, octaves=5, base=2)
    base_rgb = np.array([0.86, 0.84, 0.80]) * rng.uniform(0.96, 1.04)
    vein_rgb = np.array([0.35, 0.38, 0.40]) * rng.uniform(0.9, 1.1)
    darkness = np.clip(0.85 * veins + 0.35 * fine_veins, 0, 1)[..., None]
    image = base_rgb * (1 + 0.05 * cloud[..., None])
    image = image * (1 - darkness) + vein_rgb * darkness
    image += 0.015 * rng.standard_normal((size, size, 1))  # grain of the stone, colourless
    return np.clip(image, 0, 1).astype(np.float32)
