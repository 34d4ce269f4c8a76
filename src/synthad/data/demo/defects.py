"""Structural defects painted onto a clean rendered image, and the circuit's logical defects.

Every structural defect is an opacity map ``a`` (float ``(S, S)``, soft-edged, confined to the
object's foreground alpha) and a target appearance; the result is ``(1 - a) * image + a * target``.
The ground-truth mask is computed afterwards from the pixels that actually changed
(:func:`changed_mask`), so it is exact whatever the defect's shape.

Sizes are given at 256 px and scaled with the image. Contrasts are deliberately moderate: a
defect must be visible and local, but not brighter than the natural variation of the category.
"""

from __future__ import annotations

import cv2
import numpy as np

from synthad.data.demo.textures import fractal_noise

# A pixel is part of the defect when some channel changed by more than this (about 5 grey levels).
CHANGE_THRESHOLD = 0.02


def changed_mask(clean: np.ndarray, defective: np.ndarray) -> np.ndarray:
    """Bool ``(S, S)``: pixels whose colour differs by more than :data:`CHANGE_THRESHOLD`."""
    return np.abs(defective - clean).max(axis=2) > CHANGE_THRESHOLD


def _centre(rng: np.random.Generator, fg: np.ndarray) -> np.ndarray:
    """A random (x, y) on the foreground (alpha > 0.9)."""
    ys, xs = np.nonzero(fg > 0.9)
    i = rng.integers(len(xs))
    return np.array([xs[i], ys[i]], np.float64)


def _blend(image: np.ndarray, alpha: np.ndarray, target: np.ndarray, fg: np.ndarray) -> np.ndarray:
    a = (np.clip(alpha, 0, 1) * fg)[..., None]
    return ((1 - a) * image + a * target).astype(np.float32)


def _line_alpha(rng, fg, size, length, width, wiggle) -> np.ndarray:
    """Anti-aliased opacity of a thin polyline (a random walk with a drifting heading)."""
    k = size / 256
    point, heading = _centre(rng, fg), rng.uniform(0, 2 * np.pi)
    points = [point.copy()]
    steps = max(3, int(length / 6))
    for _ in range(steps):
        heading += rng.normal(0, wiggle)
        point = point + 6 * k * np.array([np.cos(heading), np.sin(heading)])
        points.append(point.copy())
    canvas = np.zeros((size, size), np.float32)
    pts = (np.asarray(points) * 16).round().astype(np.int32)  # 4 fractional bits
    cv2.polylines(canvas, [pts], False, 1.0, max(1, int(round(width * k))), cv2.LINE_AA, shift=4)
    return canvas


def _blob_alpha(rng, fg, size, radius, softness) -> np.ndarray:
    """Opacity of an irregular blob (noise-warped disk) with a soft rim."""
    k = size / 256
    cx, cy = _centre(rng, fg)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    ratio, rot = rng.uniform(0.5, 1.0), rng.uniform(0, np.pi)
    dx, dy = x - cx, y - cy
    u = (dx * np.cos(rot) + dy * np.sin(rot)) / (radius * k)
    v = (-dx * np.sin(rot) + dy * np.cos(rot)) / (radius * k * ratio)
    dist = np.sqrt(u**2 + v**2) + 0.25 * fractal_noise(rng, size, octaves=4, base=8)
    return np.clip((1.0 - dist) / softness, 0, 1)


def scratch(rng, image, fg, bright=True, rgb=None) -> np.ndarray:
    """A thin, slightly curved line, lighter (or darker) than its surroundings."""
    size = image.shape[0]
    alpha = _line_alpha(rng, fg, size, rng.uniform(25, 60), rng.choice([1, 2]), 0.15)
    gain = 1 + rng.uniform(0.25, 0.5) if bright else 1 - rng.uniform(0.3, 0.5)
    target = image * gain if rgb is None else np.broadcast_to(np.asarray(rgb, np.float32), image.shape)
    return _blend(image, alpha * rng.uniform(0.7, 1.0), np.clip(target, 0, 1), fg)


def crack(rng, image, fg) -> np.ndarray:
    """A jagged dark line (a random walk with strong turns)."""
    size = image.shape[0]
    alpha = _line_alpha(rng, fg, size, rng.uniform(30, 70), rng.choice([1, 2]), 0.6)
    return _blend(image, alpha, image * rng.uniform(0.3, 0.5), fg)


def hole(rng, image, fg, rgb=(0.04, 0.04, 0.05)) -> np.ndarray:
    """A small dark pit or hole (fabric: missing yarn showing the dark backing)."""
    alpha = _blob_alpha(rng, fg, image.shape[0], rng.uniform(3.0, 6.0), 0.3)
    target = np.broadcast_to(np.asarray(rgb, np.float32), image.shape)
    return _blend(image, alpha, target, fg)


def stain(rng, image, fg, rgb=(0.42, 0.32, 0.18)) -> np.ndarray:
    """Contamination: a soft, semi-transparent brownish (or given colour) blob."""
    alpha = _blob_alpha(rng, fg, image.shape[0], rng.uniform(5.0, 12.0), 0.6)
    target = np.broadcast_to(np.asarray(rgb, np.float32), image.shape)
    return _blend(image, alpha * rng.uniform(0.4, 0.7), target, fg)


def colour_change(rng, image, fg) -> np.ndarray:
    """A patch with a hue/saturation shift (dye fault, heat tint), brightness roughly kept."""
    alpha = _blob_alpha(rng, fg, image.shape[0], rng.uniform(9.0, 18.0), 0.5)
    tint = np.asarray(rng.choice([(1.25, 0.95, 0.7), (0.75, 0.95, 1.3), (1.2, 1.15, 0.65)]), np.float32)
    target = np.clip(image * tint / tint.mean(), 0, 1)
    return _blend(image, alpha * rng.uniform(0.6, 0.9), target, fg)


def missing_component(rng, scene: dict) -> dict:
    """Logical defect: remove one small component (the pads under it stay visible)."""
    small = [n for n, c in scene["components"].items() if c[0] != "ic"]
    edited = dict(scene, components=dict(scene["components"]))
    del edited["components"][small[rng.integers(len(small))]]
    return edited


def misplaced_component(rng, scene: dict) -> dict:
    """Logical defect: shift one small component off its pads, or turn it by 90 degrees."""
    small = [n for n, c in scene["components"].items() if c[0] != "ic"]
    name = small[rng.integers(len(small))]
    kind, cx, cy, angle = scene["components"][name]
    if kind == "resistor" and rng.random() < 0.5:
        moved = (kind, cx, cy, angle + 90)
    else:
        shift = rng.uniform(7, 12) * rng.choice([-1, 1], 2)
        moved = (kind, cx + shift[0], cy + shift[1], angle)
    edited = dict(scene, components=dict(scene["components"]))
    edited["components"][name] = moved
    return edited
