"""Reading the ``synthesis.sdas`` section of params.yaml into an :class:`SdasConfig`."""

from __future__ import annotations

import json

from synthad.config import build
from synthad.errors import ConfigError

# Keys that only change sampling: editing them re-samples the bank but never re-trains the model.
SAMPLING_KEYS = ("sampling_steps", "strength_min", "strength_max", "strength_batch", "n_samples",
                 "sample_batch_size", "guidance_scale")
# Keys only the guidance classifier reads: editing them never re-trains the diffusion model.
CLASSIFIER_KEYS = ("classifier_block_out_channels", "classifier_train_steps", "classifier_batch_size",
                   "classifier_init_checkpoint")


def classifier_slice(section: dict | None) -> dict:
    """What the guidance classifier's job reads: every key but the sampling ones.

    The diffusion keys stay in: the classifier shares the U-Net's block settings, and checking the
    section needs them all (a diffusion-only edit re-trains the classifier too, the cheaper model).
    """
    return {k: v for k, v in (section or {}).items() if k not in SAMPLING_KEYS}


def diffusion_slice(section: dict | None) -> dict:
    """What the diffusion model's job reads: no sampling key, no classifier key.

    ``guidance_scale: 0`` tells the config that no classifier is built here, so the classifier keys
    (left at their defaults) are not checked against this section's image size.
    """
    kept = {k: v for k, v in classifier_slice(section).items() if k not in CLASSIFIER_KEYS}
    return kept | {"guidance_scale": 0.0}


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
