"""Reading the ``synthesis.sdas`` section of params.yaml into an :class:`SdasConfig`."""

from __future__ import annotations

import json

from synthad.config import build
from synthad.errors import ConfigError

# Keys that only change sampling: editing them re-samples the bank but never re-trains the model.
SAMPLING_KEYS = ("sampling_steps", "strength_min", "strength_max", "strength_batch", "n_samples",
                 "sample_batch_size")


def training_slice(section: dict | None) -> dict:
    """The part of the ``synthesis.sdas`` section that defines the trained model."""
    return {k: v for k, v in (section or {}).items() if k not in SAMPLING_KEYS}


def load_sdas_config(text: str):
    """JSON slice -> validated ``SdasConfig`` (RealNet's values for every key not given).

    Raises:
        ConfigError: Not JSON, an unknown key, a wrong type or an invalid value, naming the key.
    """
    from synthad.synthesis.sdas import SdasConfig

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"synthesis.sdas: not valid JSON: {exc}") from exc
    return build(SdasConfig, data, "synthesis.sdas")
