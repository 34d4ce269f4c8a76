"""Full validation of ``params.yaml``: the schema (:mod:`synthad.config`) plus the registries.

The configuration layer checks what the file alone tells (unknown keys, types, ranges, repeated
seeds: :func:`synthad.config.build_params`) and imports nothing above it. The checks here need the
layers above it: every data set's categories expanded as the DAG does (:mod:`synthad.data.grid`),
derived ``source: rto`` entries (:mod:`synthad.data.rto`), every listed method registered and each
method section against its method's ``Config`` (:mod:`synthad.methods`), the ablation variants, and
``synthesis.sdas`` against :class:`~synthad.synthesis.sdas_config.SdasConfig`. Snakemake
(``workflow/rules/common.smk``) and ``synthad params`` validate through :func:`parse_params`, so
a bad key fails before any job runs, with the key named.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

from synthad.config import (
    PRESETS_DIR,
    Params,
    build,
    build_params,
    join_key,
    load_yaml,
    merge_overlay,
    method_section,
    preset_file,
    read_overlay,
)
from synthad.data.grid import check_grid
from synthad.data.rto import check_rto_entry
from synthad.errors import ConfigError
from synthad.methods import get_method, list_methods, method_config
from synthad.synthesis.sdas_config import SdasConfig

VARIANT_NAME = re.compile(r"[a-z0-9_]+")  # also a path component and a Snakemake wildcard value


def parse_params(data: dict, where: str = "params.yaml:") -> Params:
    """Validate a whole parsed ``params.yaml`` (including every method section)."""
    params = build_params(data, where)
    validate_datasets(params, where)
    validate_grid(params, where)
    validate_methods(params, where)
    validate_variants(params, where)
    validate_sdas(params, where)
    return params


def load_params(path: str | Path = "params.yaml", preset: str | None = None) -> Params:
    """Load ``params.yaml``, merge its preset (``presets/`` beside it) and fully validate it.

    Args:
        path: The parameter file.
        preset: Overrides the file's ``preset`` key (``None``: use the key, default ``demo``).
    """
    path = Path(path)
    data = load_yaml(path)
    if preset is not None:
        data["preset"] = preset
    return parse_params(apply_preset(data, path.parent / PRESETS_DIR, f"{path}:"), f"{path}:")


def apply_preset(data: dict, presets_dir: str | Path = PRESETS_DIR, where: str = "params.yaml:") -> dict:
    """``params.yaml`` data with the overlay named by its ``preset`` key merged in.

    Args:
        data: Parsed ``params.yaml`` (``preset`` absent or ``demo``: returned as a copy).
        presets_dir: Folder of the ``<name>.yaml`` overlays.
        where: Prefix of error messages.

    Returns:
        The merged data (see :func:`synthad.config.merge_preset`), still to be validated by
        :func:`parse_params`.

    Raises:
        ConfigError: Unknown preset (the message lists the available ones), or an invalid
            overlay (the message names the preset file and the key).
    """
    path = preset_file(data, presets_dir, where)
    if path is None:
        return copy.deepcopy(data)
    overlay = read_overlay(path)
    parse_params(overlay, f"{path}:")  # on its own, so an error names the preset file
    return merge_overlay(data, overlay, path)


def validate_grid(params: Params, where: str = "params.yaml:") -> None:
    """Expand every data set's categories as the DAG does (unknown category, ``all``, discovery)."""
    check_grid(params, where)


def validate_datasets(params: Params, where: str = "params.yaml:") -> None:
    """Check every ``source: rto`` entry against the registry: a known base, object categories only."""
    for name, entry in params.data.datasets.items():
        if entry.source == "rto":
            check_rto_entry(name, entry, params.data.datasets, join_key(where, f"data.datasets.{name}"))


def validate_methods(params: Params, where: str = "params.yaml:") -> None:
    """Check that every listed method is registered and its section matches its ``Config``."""
    for key in params.methods:
        if key not in params.variants:  # a variant is checked by validate_variants
            get_method(key)
    for key, section in params.method_params.items():
        method_config(key, section, join_key(where, f"method_params.{key}"))


def validate_variants(params: Params, where: str = "params.yaml:") -> None:
    """Check every ``variants`` entry: a new lower-case name, a registered base, valid overrides."""
    for name, variant in params.variants.items():
        at = join_key(where, f"variants.{name}")
        if not VARIANT_NAME.fullmatch(name):
            raise ConfigError(f"{at}: a variant name must match [a-z0-9_]+, got {name!r}")
        if name in list_methods():
            raise ConfigError(f"{at}: {name!r} is a registered method key; give the variant its own name")
        try:
            get_method(variant.method)
        except KeyError as exc:
            raise ConfigError(f"{at}.method: {exc.args[0] if exc.args else exc}") from exc
        # the merged section, so an override that is no field of the base's Config is named
        method_config(variant.method, method_section(params, name), f"{at}.params")


def validate_sdas(params: Params, where: str = "params.yaml:") -> None:
    """Check ``synthesis.sdas`` against :class:`~synthad.synthesis.sdas_config.SdasConfig` (names a key)."""
    build(SdasConfig, params.synthesis.sdas, join_key(where, "synthesis.sdas"))
