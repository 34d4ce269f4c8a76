"""Write the demo data set in the MVTec AD layout, deterministically.

Layout under ``<out>``::

    <category>/train/good/000.png
    <category>/test/good/000.png
    <category>/test/<defect_type>/000.png
    <category>/ground_truth/<defect_type>/000_mask.png     (0/255, exactly the changed pixels)
    source.json                                           ({"dataset": "demo", "root": ..., ...})

Every image has its own random generator seeded with ``(seed, crc32(category), split, defect type,
number)``, so an image does not depend on how many others are generated, and the bytes are the
same on every run. Each image is rendered clean, optionally given a defect, and then passes
through the camera (:func:`camera`): illumination gain and gradient, a slight colour cast and
sensor noise, so that even identical parts never give identical pixels.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from synthad.config import DemoConfig
from synthad.data.demo import defects as D
from synthad.data.demo.objects import render_circuit, render_washer, sample_circuit, sample_washer
from synthad.data.demo.textures import render_fabric, render_marble
from synthad.errors import DataError, UnknownNameError
from synthad.utils.images import write_image
from synthad.utils.io import atomic_dir

# Structural defect painters: (rng, clean image (S,S,3), foreground alpha (S,S)) -> image.
Painter = Callable[[np.random.Generator, np.ndarray, np.ndarray], np.ndarray]

DEFECTS: dict[str, dict[str, Painter | str]] = {
    "fabric": {
        "hole": D.hole,
        "thread": lambda r, im, fg: D.scratch(r, im, fg, bright=True),
        "stain": lambda r, im, fg: D.stain(r, im, fg, rgb=(0.36, 0.30, 0.20)),
        "color": D.colour_change,
    },
    "marble": {
        "crack": D.crack,
        "scratch": lambda r, im, fg: D.scratch(r, im, fg, bright=False),
        "stain": lambda r, im, fg: D.stain(r, im, fg, rgb=(0.55, 0.42, 0.25)),
        "color": D.colour_change,
    },
    "washer": {
        "scratch": lambda r, im, fg: D.scratch(r, im, fg, bright=r.random() < 0.5),
        "dent": lambda r, im, fg: D.hole(r, im, fg, rgb=(0.22, 0.22, 0.23)),
        "rust": lambda r, im, fg: D.stain(r, im, fg, rgb=(0.50, 0.26, 0.10)),
        "color": D.colour_change,
    },
    "circuit": {  # strings name logical defects: the scene is re-rendered with edited components
        "missing": "missing",
        "misplaced": "misplaced",
        "scratch": lambda r, im, fg: D.scratch(r, im, fg, rgb=(0.80, 0.55, 0.35)),
        "contamination": lambda r, im, fg: D.stain(r, im, fg, rgb=(0.78, 0.74, 0.60)),
    },
}
LOGICAL = {"missing": D.missing_component, "misplaced": D.misplaced_component}
_TEXTURES = {"fabric": render_fabric, "marble": render_marble}
_OBJECTS = {"washer": (sample_washer, render_washer), "circuit": (sample_circuit, render_circuit)}


def image_rng(seed: int, category: str, split: str, defect: str, number: int) -> np.random.Generator:
    """The generator of one image; stable across runs and independent of the other images."""
    key = [seed, zlib.crc32(category.encode()), zlib.crc32(split.encode()), zlib.crc32(defect.encode()),
           number]
    return np.random.default_rng(key)


def render_clean(category: str, rng: np.random.Generator, size: int):
    """Render a defect-free scene.

    Returns:
        image float32 ``(S, S, 3)`` in ``[0, 1]`` before the camera, foreground alpha float32
        ``(S, S)`` (all ones for textures), and the object scene dict (``None`` for textures).
    """
    if category in _TEXTURES:
        return _TEXTURES[category](rng, size), np.ones((size, size), np.float32), None
    sample, render = _OBJECTS[category]
    scene = sample(rng, size)
    image, alpha = render(scene)
    return image, alpha, scene


def render_sample(category: str, defect: str, rng: np.random.Generator, size: int):
    """Render one image of ``category`` with ``defect`` (``"good"`` for none).

    Returns:
        image uint8 RGB ``(S, S, 3)`` after the camera, defect mask bool ``(S, S)`` (all False for
        good images), foreground alpha float32 ``(S, S)`` of the clean object.
    """
    clean, alpha, scene = render_clean(category, rng, size)
    mask = np.zeros((size, size), bool)
    image = clean
    for _ in range(20):  # a defect that changed (almost) nothing is drawn again
        if defect == "good":
            break
        painter = DEFECTS[category][defect]
        if isinstance(painter, str):
            image = _OBJECTS[category][1](LOGICAL[painter](rng, scene))[0]
        else:
            image = painter(rng, clean, alpha)
        mask = D.changed_mask(clean, image)
        if mask.sum() >= 6:
            break
    else:
        raise DataError(f"demo/{category}: could not draw a visible {defect!r} defect")
    return camera(rng, image), mask, alpha


def camera(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """Illumination gain and gradient, colour cast and sensor noise; float ``(S,S,3)`` -> uint8."""
    size = image.shape[0]
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    direction = rng.uniform(0, 2 * np.pi)
    ramp = x * np.cos(direction) + y * np.sin(direction)  # in about [-0.7, 0.7]
    light = rng.uniform(0.88, 1.12) * (1 + rng.uniform(-0.2, 0.2) * ramp)
    cast = rng.uniform(0.97, 1.03, 3).astype(np.float32)
    noisy = image * light[..., None] * cast + rng.normal(0, rng.uniform(0.008, 0.02), image.shape)
    return (np.clip(noisy, 0, 1) * 255 + 0.5).astype(np.uint8)


def _jobs(category: str, config: DemoConfig) -> list[tuple[str, str, int]]:
    """(split, defect type, number) of every image of a category; defects spread round-robin."""
    jobs = [("train", "good", i) for i in range(config.n_train)]
    jobs += [("test", "good", i) for i in range(config.n_test_good)]
    types = list(DEFECTS[category])
    jobs += [("test", types[i % len(types)], i // len(types)) for i in range(config.n_test_defect)]
    return jobs


def write_category(root: Path, category: str, config: DemoConfig, progress: bool = True) -> None:
    """Generate every image (and defect mask) of one category under ``root/category``."""
    for split, defect, number in tqdm(_jobs(category, config), desc=f"demo {category}", disable=not progress):
        rng = image_rng(config.seed, category, split, defect, number)
        image, mask, _ = render_sample(category, defect, rng, config.image_size)
        stem = f"{number:03d}"
        write_image(root / category / split / defect / f"{stem}.png", image)
        if defect != "good":
            write_image(root / category / "ground_truth" / defect / f"{stem}_mask.png",
                        mask.astype(np.uint8) * 255)


def generate_demo(out: str | Path, config: DemoConfig | None = None,
                  categories: Iterable[str] | None = None, progress: bool = True) -> Path:
    """Generate the whole demo data set atomically (a failure leaves ``out`` untouched).

    Args:
        out: Destination folder, replaced as a whole (e.g. ``data/raw/demo``).
        config: Sizes and seed; defaults to :class:`~synthad.config.DemoConfig`.
        categories: Subset of the categories (default: all of them).
        progress: Show a progress bar per category.

    Returns:
        ``out`` as a Path.
    """
    config = config or DemoConfig()
    categories = list(categories) if categories is not None else list(DEFECTS)
    unknown = [c for c in categories if c not in DEFECTS]
    if unknown:
        raise UnknownNameError("demo category", unknown[0], list(DEFECTS))
    out = Path(out)
    with atomic_dir(out) as tmp:
        for category in categories:
            write_category(tmp, category, config, progress)
        marker = {"dataset": "demo", "root": str(out), "downloaded": False}
        (tmp / "source.json").write_text(json.dumps(marker, indent=2) + "\n")
    return out
