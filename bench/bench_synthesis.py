"""Benchmark anomaly synthesis: samples/s of each paper's synthesizer, saved to bench/results/synthesis.json.

At ``--size`` (default 256) on one core (OpenCV and torch limited to one thread), it measures:

* every synthesizer of :mod:`synthad.synthesis.registry` drawing training samples as its method
  does (paper anomaly probabilities; normal draws are cheap and count as samples), and the same
  with every sample anomalous where the synthesizer has an ``anomaly_prob`` (the worst case);
* our vectorised Perlin mask against a naive NumPy Perlin generator written the way DRAEM's
  official ``perlin.py`` works (per-pixel gradient tiling with ``np.repeat``, then an affine
  rotation and a threshold), on the same machine in the same run.

Sources are real where available (the demo data set under ``data/raw/demo`` if it was generated,
else random images) and the built-in texture/natural generators; the SDAS source is a stand-in
(random natural crops), which does not change the cost of blending.

Usage::

    python bench/bench_synthesis.py --size 256 --samples 200
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from timing import machine_name

from synthad.synthesis import TrainingPool, builtin_natural_images, builtin_textures, perlin_mask, rotate
from synthad.synthesis.registry import SYNTHESIZERS, build_synthesizer
from synthad.utils.io import write_json


class ListSource:
    """An in-memory anomaly source (stands in for a bank without disk reads)."""

    def __init__(self, images: list[np.ndarray]):
        self.images = images

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """One of the images, drawn uniformly with ``rng``."""
        return self.images[int(rng.integers(len(self.images)))]


def naive_perlin(shape: tuple[int, int], res: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Perlin noise the way DRAEM's ``rand_perlin_2d_np`` computes it (reference for the benchmark).

    Gradients are tiled to full resolution with ``np.repeat`` (``shape`` must be a multiple of
    ``res``), and the four corner dot products are computed on the full grid.
    """
    delta = (res[0] / shape[0], res[1] / shape[1])
    d = (shape[0] // res[0], shape[1] // res[1])
    grid = np.mgrid[0:res[0]:delta[0], 0:res[1]:delta[1]].transpose(1, 2, 0) % 1
    angles = 2 * np.pi * rng.random((res[0] + 1, res[1] + 1))
    gradients = np.stack((np.cos(angles), np.sin(angles)), axis=-1)

    def tile(y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
        return np.repeat(np.repeat(gradients[y0:y1, x0:x1], d[0], axis=0), d[1], axis=1)

    def dot(grad: np.ndarray, shift: tuple[int, int]) -> np.ndarray:
        offset = np.stack((grid[..., 0] + shift[0], grid[..., 1] + shift[1]), axis=-1)
        return (offset * grad[: shape[0], : shape[1]]).sum(axis=-1)

    n00 = dot(tile(0, -1, 0, -1), (0, 0))
    n10 = dot(tile(1, None, 0, -1), (-1, 0))
    n01 = dot(tile(0, -1, 1, None), (0, -1))
    n11 = dot(tile(1, None, 1, None), (-1, -1))
    t = 6 * grid**5 - 15 * grid**4 + 10 * grid**3
    lerp = lambda a, b, w: (b - a) * w + a  # noqa: E731
    return np.sqrt(2) * lerp(lerp(n00, n10, t[..., 0]), lerp(n01, n11, t[..., 0]), t[..., 1])


def naive_perlin_mask(size: int, rng: np.random.Generator) -> np.ndarray:
    """DRAEM's mask recipe on :func:`naive_perlin`: random scales, rotation, threshold 0.5."""
    res = (2 ** int(rng.integers(0, 6)), 2 ** int(rng.integers(0, 6)))
    noise = rotate(naive_perlin((size, size), res, rng).astype(np.float32), float(rng.uniform(-90, 90)))
    return (noise > 0.5).astype(np.float32)


def rate(fn, n: int) -> float:
    """Calls per second of ``fn(k)`` over ``n`` calls (after one warm-up call)."""
    fn(0)
    start = time.perf_counter()
    for k in range(n):
        fn(k)
    return n / (time.perf_counter() - start)


def demo_pool(size: int, n: int) -> tuple[TrainingPool, str]:
    """Up to ``n`` demo training images (real synthetic-scene photos of this repo), else random ones."""
    files = sorted(Path("data/raw/demo/circuit/train/good").glob("*.png"))[:n]
    if files:
        images = np.stack([cv2.resize(cv2.imread(str(f))[:, :, ::-1], (size, size)) for f in files])
        return TrainingPool(images), "demo/circuit"
    images = np.random.default_rng(0).integers(0, 256, (n, size, size, 3), dtype=np.uint8)
    return TrainingPool(images), "random"


def main() -> None:
    """Run the benchmark and write the JSON file."""
    args = parse_args()
    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    pool, pool_name = demo_pool(args.size, 16)
    textures = ListSource([im for _, im in builtin_textures(args.size, seed=0, variants=1)])
    natural = ListSource([im for _, im in builtin_natural_images(args.size, seed=0, count=30)])
    sources = {"textures": textures, "natural": natural, "sdas": natural}
    rows = []
    for key in SYNTHESIZERS:
        row = {"synthesizer": key}
        for label, params in (("as_trained", {}), ("all_anomalous", {"anomaly_prob": 1.0})):
            try:
                synth = build_synthesizer(key, sources, **params)
            except TypeError:  # no anomaly_prob: every sample is already anomalous (or mixed by branch)
                continue
            rng = np.random.default_rng(0)
            # Default arguments bind this iteration's synthesizer and generator to the lambda.
            draws_per_s = rate(lambda k, synth=synth, rng=rng: synth(pool, k % len(pool), rng), args.samples)
            row[f"{label}_samples_per_s"] = round(draws_per_s, 1)
        rows.append(row)
        print(json.dumps(row))
    rng = np.random.default_rng(0)
    perlin = {
        "ours_masks_per_s": round(rate(lambda k: perlin_mask((args.size, args.size), rng), args.samples), 1),
        "naive_numpy_masks_per_s": round(rate(lambda k: naive_perlin_mask(args.size, rng), args.samples), 1),
    }
    perlin["speedup"] = round(perlin["ours_masks_per_s"] / perlin["naive_numpy_masks_per_s"], 2)
    print(json.dumps(perlin))
    write_json(args.out, {
        "benchmark": "synthesis", "image_size": args.size, "samples": args.samples, "threads": 1,
        "pool": pool_name, "numpy": np.__version__, "opencv": cv2.__version__,
        "machine": machine_name(), "synthesizers": rows, "perlin_mask": perlin,
    })
    print(f"wrote {args.out}")


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=256, help="image side (the papers' 256)")
    p.add_argument("--samples", type=int, default=200, help="timed samples per measurement")
    p.add_argument("--out", type=Path, default=Path("bench/results/synthesis.json"))
    return p.parse_args()


if __name__ == "__main__":
    main()
