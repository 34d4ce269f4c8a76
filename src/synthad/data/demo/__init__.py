"""The embedded demo data set: four generated categories in the MVTec AD layout.

Two textures (``fabric``: a woven plain weave with yarn variation; ``marble``: veined stone from
fractal noise) and two objects on a background (``washer``: a steel ring with pose jitter on a
dark ground; ``circuit``: a small board with components in fixed places, which also has *logical*
defects: a missing or misplaced component). Every image gets illumination and sensor-noise
variation, textures a random phase, objects a small rotation/translation, so the naive
mean-image detector is far from perfect while the defects stay visible and local.

``synthad demo`` (:mod:`synthad.stages.demo`) calls :func:`generate_demo`.
"""

from __future__ import annotations

CATEGORIES: tuple[str, ...] = ("fabric", "marble", "washer", "circuit")
TEXTURE_CATEGORIES: tuple[str, ...] = ("fabric", "marble")
OBJECT_CATEGORIES: tuple[str, ...] = ("washer", "circuit")

# Foreground-mask settings (synthad.config.MaskSetting keyword arguments) per category.
# washer: bright ring on a dark ground -> the Otsu-bright region is the foreground.
# circuit: dark board on a light tray -> Otsu-bright is the background (invert); closing fills
# the light pads/resistors inside the board, opening removes specks of the tray.
MASK_SETTINGS: dict[str, dict] = {
    "fabric": {"method": "whole"},
    "marble": {"method": "whole"},
    "washer": {"method": "otsu", "channel": "gray", "invert": False, "closing": 5, "opening": 3},
    "circuit": {"method": "otsu", "channel": "gray", "invert": True, "closing": 9, "opening": 5},
}

# Defect type -> "logical" or "structural" (the index's optional ``anomaly_kind`` column).
ANOMALY_KIND: dict[str, dict[str, str]] = {
    "fabric": {"hole": "structural", "thread": "structural", "stain": "structural", "color": "structural"},
    "marble": {"crack": "structural", "scratch": "structural", "stain": "structural", "color": "structural"},
    "washer": {"scratch": "structural", "dent": "structural", "rust": "structural", "color": "structural"},
    "circuit": {"missing": "logical", "misplaced": "logical", "scratch": "structural",
                "contamination": "structural"},
}

from synthad.data.demo.generate import DEFECTS, generate_demo, render_sample  # noqa: E402

assert tuple(DEFECTS) == CATEGORIES and all(set(DEFECTS[c]) == set(ANOMALY_KIND[c]) for c in CATEGORIES)

__all__ = ["ANOMALY_KIND", "CATEGORIES", "DEFECTS", "MASK_SETTINGS", "OBJECT_CATEGORIES",
           "TEXTURE_CATEGORIES", "generate_demo", "render_sample"]
