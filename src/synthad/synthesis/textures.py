"""Built-in offline anomaly sources: textures (for DTD) and natural photographs (for ImageNet / VOC).

DRAEM (docs/official-code.md#draem-synthesis) pastes random DTD images (``dtd/images/<class>/*.jpg``, 5640
images). DTD is a download, so the default offline run uses a built-in set instead: the real photographs
that scikit-image ships inside its wheel (no ``pooch`` download) plus procedural textures (fractal noise,
stripes, checkerboards, Voronoi cells, marble, wood rings, dots, colour fields). ``synthad textures``
writes that set as a bank (:mod:`synthad.banks`); DTD, linked in as a bank, replaces it. NDP-Net and Lv et
al. paste natural images (ImageNet, VOC); :func:`builtin_natural_images` gives random crops of
scikit-image's real photographs instead (``synthad natural``).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from synthad.synthesis.perlin import perlin_noise

# skimage.data images that are part of the wheel (verified offline with scikit-image 0.26).
SKIMAGE_NAMES = (
    "astronaut", "brick", "camera", "cat", "checkerboard", "clock", "coffee", "coins", "colorwheel",
    "grass", "gravel", "hubble_deep_field", "immunohistochemistry", "logo", "moon", "page", "retina",
    "rocket", "text", "cell",
)
# The subset that are photographs of real scenes (no graphics, text or test patterns).
SKIMAGE_PHOTOS = tuple(n for n in SKIMAGE_NAMES
                       if n not in ("checkerboard", "colorwheel", "logo", "page", "text"))


def _square(image: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop to a square, resize to ``size`` and convert to RGB uint8 ``(size, size, 3)``."""
    image = np.asarray(image)
    if image.dtype == bool:
        image = image.astype(np.uint8) * 255
    elif image.dtype != np.uint8:
        image = np.clip(image * 255 if image.max() <= 1 else image, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    image = image[:, :, :3]
    h, w = image.shape[:2]
    s = min(h, w)
    image = image[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA if s > size else cv2.INTER_LINEAR)


def _colours(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 256, (n, 3)).astype(np.float32)


def _colourise(field: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Map a scalar field ``(H, W)`` to RGB uint8 by interpolating between two random colours."""
    f = (field - field.min()) / (np.ptp(field) + 1e-8)
    a, b = _colours(rng, 2)
    return (a + f[..., None] * (b - a)).astype(np.uint8)


def _fractal(size: int, rng: np.random.Generator, octaves: int = 5) -> np.ndarray:
    """Fractal (fBm) noise: Perlin octaves with halving amplitude, ``(size, size)``."""
    base = int(rng.integers(1, 4))
    return sum(0.5**o * perlin_noise((size, size), (base * 2**o,) * 2, rng) for o in range(octaves))


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    return np.mgrid[0:size, 0:size].astype(np.float32) / size


def proc_fractal(size: int, rng: np.random.Generator) -> np.ndarray:
    """Colourised fractal noise (clouds / stains)."""
    return _colourise(_fractal(size, rng), rng)


def proc_stripes(size: int, rng: np.random.Generator) -> np.ndarray:
    """Sine stripes at a random angle and frequency, slightly warped."""
    y, x = _grid(size)
    theta, freq = rng.uniform(0, np.pi), rng.uniform(4, 40)
    warp = 0.05 * _fractal(size, rng, 3)
    return _colourise(np.sin(2 * np.pi * freq * (x * np.cos(theta) + y * np.sin(theta) + warp)), rng)


def proc_checker(size: int, rng: np.random.Generator) -> np.ndarray:
    """Checkerboard with random cell count and colours."""
    y, x = _grid(size)
    n = rng.integers(3, 24)
    return _colourise(((np.floor(x * n) + np.floor(y * n)) % 2).astype(np.float32), rng)


def proc_voronoi(size: int, rng: np.random.Generator) -> np.ndarray:
    """Voronoi cells, each with its own random colour (cracked tiles, grains)."""
    n = int(rng.integers(8, 80))
    seeds = rng.random((n, 2)).astype(np.float32)
    y, x = _grid(size)
    d = (y[..., None] - seeds[:, 0]) ** 2 + (x[..., None] - seeds[:, 1]) ** 2
    return _colours(rng, n)[d.argmin(-1)].astype(np.uint8)


def proc_marble(size: int, rng: np.random.Generator) -> np.ndarray:
    """Marble veins: sine of a coordinate plus fractal turbulence."""
    y, x = _grid(size)
    return _colourise(np.sin(2 * np.pi * rng.uniform(1, 6) * (x + y) + 6 * _fractal(size, rng)), rng)


def proc_wood(size: int, rng: np.random.Generator) -> np.ndarray:
    """Wood rings around a random centre, perturbed by noise."""
    y, x = _grid(size)
    cy, cx = rng.uniform(-0.5, 1.5, 2)
    r = np.sqrt((y - cy) ** 2 + (x - cx) ** 2) + 0.1 * _fractal(size, rng, 3)
    return _colourise(np.sin(2 * np.pi * rng.uniform(5, 30) * r), rng)


def proc_dots(size: int, rng: np.random.Generator) -> np.ndarray:
    """Random discs of random colours on a random background."""
    image = np.empty((size, size, 3), np.uint8)
    image[:] = _colours(rng, 1)[0].astype(np.uint8)
    for _ in range(int(rng.integers(20, 200))):
        centre = tuple(int(c) for c in rng.integers(0, size, 2))
        colour = tuple(int(c) for c in _colours(rng, 1)[0])
        cv2.circle(image, centre, int(rng.integers(2, max(3, size // 12))), colour, -1, cv2.LINE_AA)
    return image


def proc_colour_field(size: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth random colour field: independent low-frequency noise per channel."""
    res = (int(rng.integers(1, 5)),) * 2
    chans = [perlin_noise((size, size), res, rng) for _ in range(3)]
    return np.stack([_colourise(c, rng)[..., 0] for c in chans], axis=-1)


PROCEDURAL: dict[str, Callable[[int, np.random.Generator], np.ndarray]] = {
    "fractal": proc_fractal, "stripes": proc_stripes, "checker": proc_checker, "voronoi": proc_voronoi,
    "marble": proc_marble, "wood": proc_wood, "dots": proc_dots, "colour_field": proc_colour_field,
}


def builtin_textures(size: int = 256, seed: int = 0, variants: int = 4) -> list[tuple[str, np.ndarray]]:
    """The built-in texture set, offline and deterministic.

    Args:
        size: Side of each square texture.
        seed: Seed of the procedural textures.
        variants: Procedural textures per generator.

    Returns:
        ``(name, RGB uint8 (size, size, 3))`` pairs: 20 scikit-image photos + ``8 * variants``
        procedural textures.
    """
    import skimage.data

    out = [(f"skimage_{name}", _square(getattr(skimage.data, name)(), size)) for name in SKIMAGE_NAMES]
    rng = np.random.default_rng(seed)
    for name, make in PROCEDURAL.items():
        out += [(f"{name}_{k}", make(size, rng)) for k in range(variants)]
    return out


def _random_crop(photo: np.ndarray, size: int, rng: np.random.Generator, min_scale: float) -> np.ndarray:
    """A random square crop (side ``U(min_scale, 1)`` of the short side), maybe mirrored, at ``size``."""
    h, w = photo.shape[:2]
    side = max(8, int(min(h, w) * rng.uniform(min_scale, 1.0)))
    y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    crop = photo[y:y + side, x:x + side]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return _square(np.ascontiguousarray(crop), size)


def builtin_natural_images(size: int = 256, seed: int = 0, count: int = 200,
                           min_scale: float = 0.3) -> list[tuple[str, np.ndarray]]:
    """Offline stand-in for ImageNet (NDP-Net) / VOC (Lv et al.): random crops of real photographs.

    The 15 photographs of real scenes that scikit-image ships (astronaut, cat, coffee, coins, moon,
    rocket, retina, ...) are cropped at random positions and scales and mirrored at random; far
    less varied than ImageNet, which a user can link in instead (``synthesis.natural_source``).

    Args:
        size: Side of each square image.
        seed: Seed of the crops.
        count: Number of images.
        min_scale: Smallest crop side as a fraction of the photo's short side.

    Returns:
        ``(name, RGB uint8 (size, size, 3))`` pairs, photos used in turn.
    """
    import skimage.data

    photos = [(name, _square(getattr(skimage.data, name)(), 512)) for name in SKIMAGE_PHOTOS]
    rng = np.random.default_rng(seed)
    return [(f"{photos[k % len(photos)][0]}_{k:04d}", _random_crop(photos[k % len(photos)][1], size, rng,
                                                                  min_scale)) for k in range(count)]
