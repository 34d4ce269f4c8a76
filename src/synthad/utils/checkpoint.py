"""Resumable training state for any training loop: modules, optimisers, schedulers, epoch, RNGs.

Used by every method's loop (:mod:`synthad.methods.loop`) and by the SDAS diffusion model and
guidance classifier (:mod:`synthad.synthesis.ddpm`, :mod:`synthad.synthesis.noisy_classifier`), so it
lives below both layers.
The state is saved atomically (a crash mid-save leaves the previous checkpoint intact) and
byte-reproducibly (:func:`~synthad.utils.io.save_torch`), and only holds tensors, numbers, strings and
containers of them, so ``torch.load(weights_only=True)`` reads it.
NumPy generator states are stored as their ``bit_generator.state`` dict (plain ints and strings).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from synthad.errors import DataError
from synthad.utils.io import save_torch


def save_training_state(path: str | Path, epoch: int, objects: dict[str, Any],
                        rng: np.random.Generator | None = None, extra: dict | None = None) -> None:
    """Save everything needed to continue after ``epoch`` completed epochs.

    Args:
        path: Checkpoint file.
        epoch: Number of epochs completed.
        objects: Name -> object with ``state_dict()`` (modules, optimisers, LR schedulers).
        rng: NumPy generator of the data pipeline, if any.
        extra: Plain data stored alongside (e.g. an identity of the run, to refuse stale states).
    """
    state = {
        "epoch": int(epoch),
        "objects": {name: obj.state_dict() for name, obj in objects.items()},
        "torch_rng": torch.get_rng_state(),
        "numpy_rng": rng.bit_generator.state if rng is not None else None,
        "extra": extra or {},
    }
    save_torch(state, path)


def load_training_state(path: str | Path | None, objects: dict[str, Any],
                        rng: np.random.Generator | None = None, extra: dict | None = None) -> int:
    """Restore a state written by :func:`save_training_state`, if the file exists.

    Args:
        path: Checkpoint file (``None`` or missing -> nothing restored).
        objects: The same names as at save time; each gets ``load_state_dict``.
        rng: NumPy generator whose state is restored in place.
        extra: When given, must equal the saved ``extra`` (else the state belongs to another run).

    Returns:
        The number of completed epochs to continue from (0 when nothing was restored).

    Raises:
        DataError: The file is unreadable, belongs to a different run, or lacks one of ``objects``
            (written by another version of SynthAD).
    """
    if path is None or not Path(path).is_file():
        return 0
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated / foreign file: say which one, do not guess
        raise DataError(f"{path}: cannot read training checkpoint ({exc}); delete it to restart") from exc
    if extra is not None and state.get("extra") != extra:
        raise DataError(f"{path}: checkpoint belongs to a different run configuration; delete it to restart")
    missing = sorted(set(objects) - set(state["objects"]))
    if missing:
        raise DataError(f"{path}: checkpoint lacks {', '.join(missing)} (written by another version of"
                        " SynthAD); delete it to restart")
    for name, obj in objects.items():
        obj.load_state_dict(state["objects"][name])
    torch.set_rng_state(state["torch_rng"])
    if rng is not None and state["numpy_rng"] is not None:
        rng.bit_generator.state = state["numpy_rng"]
    return int(state["epoch"])
