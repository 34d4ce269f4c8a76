"""Checks and look-ups on a whole :class:`~synthad.config.sections.Params` that need no registry.

:func:`build_params` is the schema half of validating ``params.yaml``; the checks against the data
set, method and SDAS registries are :func:`synthad.stages.validate.parse_params`'s, above those
registries, so this layer imports nothing of the project but errors and utilities.
"""

from __future__ import annotations

import copy
from typing import Any

from synthad.config.builder import build, join_key
from synthad.config.sections import Params, VariantEntry
from synthad.errors import ConfigError


def build_params(data: dict, where: str = "params.yaml:") -> Params:
    """``params.yaml`` data -> :class:`Params`, checked against the schema only.

    Unknown keys, wrong types, values out of range and repeated seeds are errors naming the key;
    categories, methods, variants and ``synthesis.sdas`` are not looked up
    (:func:`synthad.stages.validate.parse_params` adds those checks).
    """
    params = build(Params, data, where)
    validate_seeds(params, where)
    return params


def validate_seeds(params: Params, where: str = "params.yaml:") -> None:
    """Each seed once: a repeated seed would name the same run folder twice in the DAG."""
    repeated = sorted({seed for seed in params.seeds if params.seeds.count(seed) > 1})
    if repeated:
        raise ConfigError(f"{join_key(where, 'seeds')}: seed {repeated[0]} is listed more than once"
                          f" ({params.seeds}); each seed is one run")


def method_key(params: Params, name: str) -> str:
    """Registry key behind a ``methods`` entry: a variant's base method, else the name itself."""
    variant = params.variants.get(name)
    return variant.method if variant is not None else name


def method_section(params: Params, name: str) -> dict[str, Any]:
    """The ``method_params`` section a ``methods`` entry trains with (a new dict).

    A variant's is its base method's section (the demo or paper budget) updated with the
    variant's ``params``; a registered method's is its own section (``{}`` when absent).
    """
    section = dict(params.method_params.get(method_key(params, name)) or {})
    variant = params.variants.get(name)
    return section | copy.deepcopy(variant.params) if variant is not None else section


def normalise_overrides(value: Any) -> Any:
    """Overrides in one comparable form: tuples as lists, mappings with string keys, recursively.

    A claims file's ``overrides`` and a variant's ``params`` name the same run when their
    normalised forms are equal (``(7, 7)`` from Python equals ``[7, 7]`` from YAML).
    """
    if isinstance(value, dict):
        return {str(k): normalise_overrides(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise_overrides(v) for v in value]
    return value


def variant_for(variants: dict[str, VariantEntry], method: str, overrides: dict) -> str | None:
    """Name of the variant that runs ``method`` with exactly ``overrides`` (``None``: none does)."""
    wanted = normalise_overrides(overrides)
    return next((name for name, v in sorted(variants.items())
                 if v.method == method and normalise_overrides(v.params) == wanted), None)
