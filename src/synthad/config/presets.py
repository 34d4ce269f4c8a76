"""Paper presets: ``presets/<name>.yaml`` overlays merged onto ``params.yaml`` data.

This module finds, reads and merges an overlay. Checking the overlay on its own (so an error names
the preset file) needs the method registry, so :func:`synthad.stages.validate.apply_preset`
composes :func:`preset_file`, :func:`read_overlay`, that check and :func:`merge_overlay`.
"""

from __future__ import annotations

import copy
from pathlib import Path

from synthad.config.builder import join_key, load_yaml
from synthad.errors import ConfigError

PRESETS_DIR = "presets"  # beside params.yaml
DEMO_PRESET = "demo"  # no overlay: params.yaml as written


def list_presets(presets_dir: str | Path = PRESETS_DIR) -> list[str]:
    """``demo`` followed by the name of every ``<presets_dir>/<name>.yaml``, sorted."""
    found = sorted(p.stem for p in Path(presets_dir).glob("*.yaml"))
    return [DEMO_PRESET] + [name for name in found if name != DEMO_PRESET]


def merge_preset(base: dict, overlay: dict) -> dict:
    """Merge a preset overlay onto ``params.yaml`` data, two levels deep.

    A top-level value of the overlay that is not a mapping (``seeds``, ``methods``) replaces the
    base's; a section (a mapping) is merged key by key, and each key's value replaces the base's
    *whole*: ``method_params.draem: {}`` drops every CPU override of DRAEM (its ``Config``
    defaults, the paper's values, apply) and ``data.datasets`` lists exactly the preset's data
    sets, while a key the preset does not name (``synthesis.sia_dir``) keeps the base's value.

    Args:
        base: Parsed ``params.yaml``.
        overlay: Parsed preset file.

    Returns:
        A new mapping; neither argument is modified.
    """
    merged = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key].update(copy.deepcopy(value))
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def preset_file(data: dict, presets_dir: str | Path = PRESETS_DIR,
                where: str = "params.yaml:") -> Path | None:
    """The overlay file named by the ``preset`` key of ``params.yaml`` data (``None`` for ``demo``).

    Raises:
        ConfigError: The key is not a name, or no ``<presets_dir>/<name>.yaml`` exists (the
            message lists the available presets).
    """
    name = data.get("preset", DEMO_PRESET)
    if not isinstance(name, str):
        raise ConfigError(f"{join_key(where, 'preset')}: expected a preset name, got {name!r}")
    if name == DEMO_PRESET:
        return None
    path = Path(presets_dir) / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"{join_key(where, 'preset')}: unknown preset {name!r}, {path} does not exist"
                          f" (available: {', '.join(list_presets(presets_dir))})")
    return path


def read_overlay(path: Path) -> dict:
    """Read a preset file; one that sets ``preset`` itself is an error naming the file."""
    overlay = load_yaml(path)
    if "preset" in overlay:
        raise ConfigError(f"{path}: a preset cannot set `preset` (presets do not chain)")
    return overlay


def merge_overlay(data: dict, overlay: dict, path: Path) -> dict:
    """``data`` with the checked preset ``overlay`` read from ``path`` merged in (:func:`merge_preset`).

    Raises:
        ConfigError: The merged ``methods`` run a method whose base has no ``method_params``
            section in the overlay (the message names the preset file).
    """
    merged = merge_preset(data, overlay)
    bases = {m: _base_key(merged, m) for m in merged.get("methods") or []}
    missing = [(m, b) for m, b in bases.items() if b not in (overlay.get("method_params") or {})]
    if missing:
        # Without its own section a method would inherit params.yaml's CPU demo overrides.
        name, base = missing[0]
        raise ConfigError(f"{path}: the preset runs {name!r} but has no method_params.{base}"
                          " section (write `{}` for the paper's values, the Config defaults)")
    return merged


def _base_key(data: dict, name: str) -> str:
    """Registry key behind a ``methods`` entry of unvalidated data (a variant's ``method``)."""
    variants = data.get("variants")
    entry = variants.get(name) if isinstance(variants, dict) else None
    return entry.get("method", name) if isinstance(entry, dict) else name
