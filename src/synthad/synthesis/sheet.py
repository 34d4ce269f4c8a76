"""Contact sheets of synthetic anomalies: normal image, anomaly mask, synthetic image, side by side."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from synthad.synthesis.sample import SyntheticSample, TrainingPool
from synthad.utils.grid import save_image_grid


def draw_anomalous(synth: Callable, pool: TrainingPool, count: int, seed: int,
                   max_tries: int = 20) -> list[tuple[int, SyntheticSample]]:
    """Draw samples until ``count`` have an anomaly (normal draws are skipped, not shown).

    Args:
        synth: A synthesizer, ``synth(pool, index, rng) -> SyntheticSample``.
        pool: Training images and foregrounds.
        count: Anomalous samples wanted.
        seed: Seed of the draws; sample ``k`` uses image ``k % len(pool)``.
        max_tries: Give up after ``max_tries * count`` draws (e.g. a foreground too small to hit).

    Returns:
        ``(image index, sample)`` pairs, at most ``count``.
    """
    rng = np.random.default_rng(seed)
    out: list[tuple[int, SyntheticSample]] = []
    for k in range(max_tries * count):
        sample = synth(pool, k % len(pool), rng)
        if sample.has_anomaly:
            out.append((k % len(pool), sample))
            if len(out) == count:
                break
    return out


def synthesis_sheet(samples: list[tuple[int, SyntheticSample]], pool: TrainingPool, out: str | Path,
                    heading: str, per_row: int = 2) -> Path:
    """Save ``per_row`` samples per row, each as three panels.

    The panels are: normal (foreground outlined unless the recipe rotated it), mask, synthetic image
    (mask outlined).

    Raises:
        ValueError: No sample to draw.
    """
    images, titles, outlines = [], [], []
    for index, s in samples:
        # The foreground is outlined only where it fits: some recipes rotate the normal image first.
        fg = pool.foreground(index) if np.array_equal(s.normal, pool.image(index)) else None
        images += [s.normal, s.mask, np.clip(s.image, 0, 1)]
        titles += [f"train #{index}", f"mask {s.mask.mean():.1%}", s.kind]
        outlines += [fg, None, s.mask]
    return save_image_grid(images, titles, out, columns=3 * per_row, heading=heading, outlines=outlines)
