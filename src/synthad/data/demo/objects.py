"""Object scenes of the demo data set: a machined washer and a small circuit board.

A scene is sampled once (:func:`sample_washer`, :func:`sample_circuit`: pose jitter, background,
tints) and then rendered, possibly twice: the circuit's logical defects (a missing or misplaced
component) re-render the same scene with an edited component list, so the defect mask is exactly
the set of pixels that changed. Objects are drawn in a canonical frame and moved by a small
random rotation/translation, which misaligns edges between images: a per-pixel mean-image detector
sees that as anomaly, a local-appearance model does not.

Images are float32 RGB ``(S, S, 3)`` in ``[0, 1]``; foreground alphas are float32 ``(S, S)``.
"""

from __future__ import annotations

import copy

import cv2
import numpy as np

from synthad.data.demo.textures import fractal_noise


def _pose(rng: np.random.Generator, size: int, max_deg: float, max_shift: float) -> np.ndarray:
    """A 2x3 affine matrix: rotation about the centre by a small angle, then a small shift."""
    matrix = cv2.getRotationMatrix2D((size / 2, size / 2), rng.uniform(-max_deg, max_deg), 1.0)
    matrix[:, 2] += rng.uniform(-max_shift, max_shift, 2) * size / 256
    return matrix


def _background(rng: np.random.Generator, size: int, rgb: tuple[float, float, float],
                amount: float) -> np.ndarray:
    """A flat colour with low-frequency blotches, ``(S, S, 3)``."""
    blotch = 1 + amount * fractal_noise(rng, size, octaves=5, base=2)
    return (np.asarray(rgb, np.float32) * blotch[..., None]).astype(np.float32)


# --------------------------------------------------------------------------- washer
def sample_washer(rng: np.random.Generator, size: int) -> dict:
    """Random draws of one washer image (pose, background, finish)."""
    return {
        "size": size,
        "pose": _pose(rng, size, max_deg=4.0, max_shift=3.0),
        "background": _background(rng, size, (0.26, 0.26, 0.28), 0.15),
        "tone": rng.uniform(0.92, 1.08),
        "groove_phase": rng.uniform(0, 2 * np.pi),
    }


def render_washer(scene: dict) -> tuple[np.ndarray, np.ndarray]:
    """A steel washer (ring with a key notch, turned grooves, directional light) on dark ground.

    Args:
        scene: Output of :func:`sample_washer`.

    Returns:
        image float32 ``(S, S, 3)``, foreground alpha float32 ``(S, S)`` (the ring).
    """
    size = scene["size"]
    # Inverse pose maps output pixels to the canonical frame, so shading is computed analytically.
    inverse = cv2.invertAffineTransform(scene["pose"])
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    cx = inverse[0, 0] * x + inverse[0, 1] * y + inverse[0, 2] - size / 2
    cy = inverse[1, 0] * x + inverse[1, 1] * y + inverse[1, 2] - size / 2
    radius = np.hypot(cx, cy)
    outer, inner = 0.36 * size, 0.16 * size
    alpha = np.clip(outer - radius + 0.5, 0, 1) * np.clip(radius - inner + 0.5, 0, 1)
    notch = (np.abs(cx) < 0.03 * size) & (cy < 0) & (radius > outer - 0.06 * size)
    alpha[notch] = 0.0
    # The light stays fixed in the world while the part rotates: use world-frame angles for it.
    world_angle = np.arctan2(y - size / 2, x - size / 2)
    grooves = 0.035 * np.sin(2 * np.pi * radius / (0.012 * size) + scene["groove_phase"])
    light = 0.12 * np.cos(world_angle + 2.3)
    bevel = 0.05 * np.exp(-((outer - radius) / (0.012 * size)) ** 2)
    bevel += 0.04 * np.exp(-((radius - inner) / (0.012 * size)) ** 2)
    shade = scene["tone"] * (0.62 + grooves + light + bevel)
    metal = shade[..., None] * np.array([0.97, 1.0, 1.03], np.float32)
    image = scene["background"] * (1 - alpha[..., None]) + metal * alpha[..., None]
    return np.clip(image, 0, 1).astype(np.float32), alpha.astype(np.float32)


# --------------------------------------------------------------------------- circuit board
# Canonical layout at 256 px: name -> (kind, centre x, centre y, angle in degrees).
CIRCUIT_COMPONENTS: dict[str, tuple[str, float, float, float]] = {
    "U1": ("ic", 92, 92, 0),
    "U2": ("ic", 168, 160, 90),
    "R1": ("resistor", 160, 80, 0),
    "R2": ("resistor", 160, 104, 0),
    "R3": ("resistor", 76, 150, 90),
    "C1": ("capacitor", 108, 176, 0),
    "D1": ("led", 196, 76, 0),
}
_BOARD = (40, 52, 216, 204)  # x0, y0, x1, y1 at 256 px
_TRACES = [
    [(92, 110), (92, 130), (76, 138)], [(114, 84), (150, 80)], [(114, 98), (150, 104)],
    [(170, 80), (190, 76)], [(170, 104), (168, 140)], [(76, 162), (98, 176)],
    [(118, 176), (150, 160)], [(186, 160), (204, 160), (204, 196)],
]


def sample_circuit(rng: np.random.Generator, size: int) -> dict:
    """Random draws of one board image (pose, background, board tint, component list)."""
    return {
        "size": size,
        "pose": _pose(rng, size, max_deg=1.5, max_shift=2.5),
        "background": _background(rng, size, (0.60, 0.60, 0.58), 0.04),
        "board_tint": rng.uniform(0.9, 1.1, 3),
        "board_noise": 0.04 * fractal_noise(rng, size, octaves=6, base=8),
        "components": copy.deepcopy(CIRCUIT_COMPONENTS),
    }


def render_circuit(scene: dict) -> tuple[np.ndarray, np.ndarray]:
    """A green board with traces, pads, two ICs, resistors, a capacitor and an LED.

    Args:
        scene: Output of :func:`sample_circuit`, possibly with ``components`` edited.

    Returns:
        image float32 ``(S, S, 3)``, foreground alpha float32 ``(S, S)`` (the board).
    """
    size = scene["size"]
    k = size / 256
    canvas = np.zeros((size, size, 3), np.float32)
    board_mask = np.zeros((size, size), np.float32)
    x0, y0, x1, y1 = (int(round(c * k)) for c in _BOARD)
    cv2.rectangle(board_mask, (x0, y0), (x1, y1), 1.0, -1)
    canvas[:] = np.array([0.10, 0.36, 0.18], np.float32) * scene["board_tint"]
    canvas *= 1 + scene["board_noise"][..., None]
    for trace in _TRACES:
        points = (np.asarray(trace) * k).astype(np.int32)
        cv2.polylines(canvas, [points], False, (0.20, 0.50, 0.26), max(1, int(3 * k)), cv2.LINE_AA)
    for kind, cx, cy, angle in CIRCUIT_COMPONENTS.values():  # pads stay when a part is missing
        _draw_pads(canvas, kind, cx * k, cy * k, angle, k)
    for kind, cx, cy, angle in scene["components"].values():
        _DRAW[kind](canvas, cx * k, cy * k, angle, k)
    warp = dict(flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    canvas = cv2.warpAffine(canvas, scene["pose"], (size, size), **warp)
    alpha = cv2.warpAffine(board_mask, scene["pose"], (size, size), **warp)
    image = scene["background"] * (1 - alpha[..., None]) + canvas * alpha[..., None]
    return np.clip(image, 0, 1).astype(np.float32), alpha


def _box(cx: float, cy: float, w: float, h: float, angle: float) -> np.ndarray:
    """Corners (4, 2) int32 of a rotated rectangle, for cv2.fillPoly."""
    return cv2.boxPoints(((cx, cy), (w, h), angle)).round().astype(np.int32)


def _fill(canvas: np.ndarray, poly: np.ndarray, rgb: tuple[float, float, float]) -> None:
    cv2.fillPoly(canvas, [poly], rgb, cv2.LINE_AA)


def _draw_pads(canvas, kind, cx, cy, angle, k) -> None:
    gold = (0.78, 0.62, 0.26)
    span = {"ic": 0, "resistor": 11, "capacitor": 8, "led": 5}[kind] * k
    if span:
        d = np.array([np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))]) * span
        for sign in (-1, 1):
            _fill(canvas, _box(cx + sign * d[0], cy + sign * d[1], 5 * k, 6 * k, angle), gold)


def _draw_ic(canvas, cx, cy, angle, k) -> None:
    _fill(canvas, _box(cx, cy, 40 * k, 26 * k, angle), (0.07, 0.07, 0.08))
    rot = np.deg2rad(angle)
    along, across = np.array([np.cos(rot), np.sin(rot)]), np.array([-np.sin(rot), np.cos(rot)])
    for i in range(5):
        for side in (-1, 1):
            centre = np.array([cx, cy]) + (i - 2) * 8 * k * along + side * 16 * k * across
            _fill(canvas, _box(*centre, 3 * k, 6 * k, angle), (0.42, 0.42, 0.45))
    dot = np.array([cx, cy]) - 14 * k * along - 7 * k * across
    cv2.circle(canvas, tuple(int(v) for v in dot.round()), max(1, int(2 * k)), (0.3, 0.3, 0.32), -1)


def _draw_resistor(canvas, cx, cy, angle, k) -> None:
    _fill(canvas, _box(cx, cy, 16 * k, 7 * k, angle), (0.66, 0.52, 0.34))
    rot = np.deg2rad(angle)
    along = np.array([np.cos(rot), np.sin(rot)])
    for offset, rgb in ((-4, (0.45, 0.2, 0.1)), (0, (0.1, 0.1, 0.1)), (4, (0.7, 0.1, 0.1))):
        band = np.array([cx, cy]) + offset * k * along
        _fill(canvas, _box(*band, 1.6 * k, 7 * k, angle), rgb)


def _draw_capacitor(canvas, cx, cy, angle, k) -> None:
    centre, radius = (int(round(cx)), int(round(cy))), int(round(9 * k))
    cv2.circle(canvas, centre, radius, (0.12, 0.18, 0.45), -1, cv2.LINE_AA)
    cv2.ellipse(canvas, centre, (radius, radius), angle, 200, 340, (0.55, 0.6, 0.7), max(1, int(2 * k)))


def _draw_led(canvas, cx, cy, angle, k) -> None:
    cv2.circle(canvas, (int(round(cx)), int(round(cy))), int(round(5 * k)), (0.80, 0.12, 0.10), -1,
               cv2.LINE_AA)


_DRAW = {"ic": _draw_ic, "resistor": _draw_resistor, "capacitor": _draw_capacitor, "led": _draw_led}
