"""Plain YAML/JSON data -> typed values, strictly: the generic builder behind every config section.

A key that no dataclass field declares, a value of the wrong type, a number outside the range its
field declares (:mod:`synthad.utils.ranges`) or a non-finite float is a :class:`ConfigError` that
names the full key path and the value (``method_params.draem.lr: -1.0 is out of range (must be >
0)``), so a typo never silently falls back to a default and an impossible value never trains.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from pathlib import Path
from typing import Any, Literal

import yaml

from synthad.errors import ConfigError
from synthad.utils.ranges import range_of

T = typing.TypeVar("T")


def build(cls: type[T], value: Any, where: str) -> T:
    """Build a value of type ``cls`` from plain YAML/JSON data, rejecting unknown keys.

    Args:
        cls: A dataclass or a supported annotation (``int``, ``float``, ``str``, ``bool``,
            ``list[X]``, ``dict[str, X]``, ``X | None``, ``Literal[...]``, ``Any``,
            ``Annotated[X, Range(...)]``: ``X`` within the declared range, :mod:`synthad.utils.ranges`).
        value: Parsed YAML/JSON data.
        where: Key path used in error messages, e.g. ``"params.yaml:data"``.

    Returns:
        The typed value.

    Raises:
        ConfigError: Unknown key, missing required key, wrong type, a number outside its declared
            range or a non-finite float; the message names ``where``.
    """
    if dataclasses.is_dataclass(cls):
        return _build_dataclass(cls, value, where)
    return _coerce(cls, value, where)


def _build_dataclass(cls: type[T], value: Any, where: str) -> T:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(value).__name__} {value!r}")
    hints = typing.get_type_hints(cls, include_extras=True)  # keep Annotated's ranges
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {join_key(where, unknown[0])!r}"
            f" (allowed keys: {', '.join(sorted(fields))})"
        )
    kwargs = {}
    for name, f in fields.items():
        if name in value:
            kwargs[name] = build(hints[name], value[name], join_key(where, name))
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{where}: missing required key {join_key(where, name)!r}")
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as exc:  # __post_init__ checks (odd kernels, bounds between fields)
        raise ConfigError(f"{where}: {exc}") from exc


def join_key(where: str, key: str) -> str:
    """The key path ``key`` under ``where``: ``params.yaml:`` + ``seeds``, ``demo`` + ``.n_train``."""
    return f"{where}.{key}" if not where.endswith(":") else f"{where}{key}"


def _coerce(tp: Any, value: Any, where: str) -> Any:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return value
    if origin is typing.Annotated:
        coerced = build(args[0], value, where)
        declared = range_of(tp)
        if declared is not None:
            declared.check(coerced, where)
        return coerced
    if origin in (typing.Union, types.UnionType):
        return _coerce_union(args, value, where)
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{where}: {value!r} is not one of {', '.join(map(repr, args))}")
        return value
    if origin is list or origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        item = args[0] if args else Any
        return [build(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return {str(k): build(args[1], v, join_key(where, str(k))) for k, v in value.items()}
    return _coerce_scalar(tp, value, where)


def _coerce_union(args: tuple, value: Any, where: str) -> Any:
    if value is None and type(None) in args:
        return None
    errors = []
    for arg in (a for a in args if a is not type(None)):
        try:
            return build(arg, value, where)
        except ConfigError as exc:
            errors.append(str(exc))
    raise ConfigError(errors[0] if len(errors) == 1 else f"{where}: {value!r} matches no allowed type")


def _coerce_scalar(tp: type, value: Any, where: str) -> Any:
    # bool is an int subclass in Python, so it is checked first and never accepted as a number.
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        number = _as_float(value)
        if number is not None:
            if not math.isfinite(number):  # NaN / inf (YAML .nan, JSON NaN, "inf") would train garbage
                raise ConfigError(f"{where}: {value!r} is not a finite number")
            return number
    elif tp is str:
        if isinstance(value, str):
            return value
    else:
        raise ConfigError(f"{where}: unsupported annotation {tp!r}")
    raise ConfigError(f"{where}: expected {tp.__name__}, got {type(value).__name__} {value!r}")


def _as_float(value: Any) -> float | None:
    """``value`` as a float when it is a number or a numeric string, else ``None``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):  # YAML reads "1e-4" (no dot) as a string
        try:
            return float(value)
        except ValueError:
            return None
    return None


def load_yaml(path: str | Path) -> dict:
    """Read a YAML mapping, with an error naming the file when it is not one."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def parse_slice(text: str, cls: type[T], where: str) -> T:
    """Rebuild a typed config object from the JSON slice a Snakemake rule passed to a stage."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where}: not valid JSON: {exc}") from exc
    return build(cls, data, where)
