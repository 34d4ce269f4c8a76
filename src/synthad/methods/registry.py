"""Explicit registry of methods: stable string keys that match ``params.yaml`` and result folders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from synthad.config import build
from synthad.errors import UnknownNameError
from synthad.methods.base import Method

_REGISTRY: dict[str, type[Method]] = {}


def register(key: str) -> Callable[[type[Method]], type[Method]]:
    """Class decorator that registers a :class:`Method` subclass under ``key``."""

    def decorate(cls: type[Method]) -> type[Method]:
        if key in _REGISTRY and _REGISTRY[key] is not cls:
            raise ValueError(f"method key {key!r} registered twice")
        cls.key = key
        _REGISTRY[key] = cls
        return cls

    return decorate


def get_method(key: str) -> type[Method]:
    """The method class registered under ``key``.

    Raises:
        UnknownNameError: ``key`` is not registered; the message lists the known keys.
    """
    try:
        return _REGISTRY[key]
    except KeyError:
        raise UnknownNameError("method", key, list(_REGISTRY)) from None


def list_methods() -> list[str]:
    """Keys of all registered methods, sorted."""
    return sorted(_REGISTRY)


def method_config(key: str, section: dict | None, where: str | None = None) -> Any:
    """The typed ``Config`` of method ``key`` built from its ``method_params`` section.

    Args:
        key: Registry key of the method.
        section: The section's plain data (``None``/empty: the ``Config`` defaults, the paper's values).
        where: Key path for error messages (default ``method_params.<key>``).

    Raises:
        UnknownNameError: ``key`` is not registered.
        ConfigError: A key the ``Config`` lacks, a wrong type or a value out of its range.
    """
    return build(get_method(key).Config, section or {}, where or f"method_params.{key}")
