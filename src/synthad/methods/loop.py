"""The resumable epoch loop that every method's ``fit`` runs: resume, progress bar, log, checkpoints.

Each method trains for its own kind of "epoch" (DRAEM's epochs, NDP-Net's two phases, SLSG's chunks
of ``log_every`` steps), but the bookkeeping around it is the same, so it lives here once::

    loop = EpochLoop(context, cfg.epochs, "draem", objects, rng, identity)
    for epoch in loop:                       # the epochs still to run after a resume
        row = train_one_epoch()
        loop.log(row | {"epoch": epoch + 1}, "loss", "focal")
    # the state was saved every context.checkpoint_every epochs and after the last one
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from synthad.methods.base import FitContext
from synthad.methods.checkpoint import load_training_state, save_training_state

CONTEXT = object()  # EpochLoop's default checkpoint: the context's


class EpochLoop:
    """Epochs ``start .. total - 1`` of a resumable training loop.

    Creating it restores ``objects`` and ``rng`` from ``context.checkpoint_path`` when that file
    exists (``start`` is then the number of epochs already done). Iterating yields the epochs still to
    run; after the body of each, the state is saved when ``context.checkpoint_every`` epochs have
    passed or the last epoch is done (never when ``context.checkpoint_path`` is ``None``).

    Args:
        context: The run's seed, device, log, progress switch, checkpoint file and cadence.
        total: Number of epochs of the whole run.
        desc: Progress-bar label.
        objects: Name -> object with ``state_dict()`` (modules, optimisers, LR schedulers).
        rng: NumPy generator of the data pipeline.
        identity: Plain data that defines the run; a checkpoint of another run is refused.
        checkpoint: The state file, by default ``context.checkpoint_path``; a separate phase
            with its own loop (SLSG's GPT-Net) passes its own; ``None``: no checkpoints.

    Raises:
        DataError: The checkpoint is unreadable or belongs to another run.
    """

    def __init__(self, context: FitContext, total: int, desc: str, objects: dict[str, Any],
                 rng: np.random.Generator, identity: dict, *, checkpoint: Path | None | object = CONTEXT):
        self.context, self.total, self.desc = context, total, desc
        self.objects, self.rng, self.identity = objects, rng, identity
        self.checkpoint: Path | None = context.checkpoint_path if checkpoint is CONTEXT else checkpoint
        self.start = load_training_state(self.checkpoint, objects, rng, identity)
        self._bar: tqdm | None = None

    def __iter__(self) -> Iterator[int]:
        every = max(1, self.context.checkpoint_every)
        self._bar = tqdm(range(self.start, self.total), desc=self.desc, initial=self.start, total=self.total,
                         disable=not self.context.progress, leave=False)
        for epoch in self._bar:
            yield epoch
            done = epoch + 1
            if done % every == 0 or done == self.total:
                self.save(done)

    def save(self, done: int) -> None:
        """Save the state after ``done`` completed epochs (no-op without a checkpoint file)."""
        if self.checkpoint is not None:
            save_training_state(self.checkpoint, done, self.objects, self.rng, self.identity)

    def log(self, row: dict[str, float], *shown: str) -> None:
        """Hand ``row`` to ``context.log`` and show its ``shown`` entries on the progress bar."""
        self.context.log(row)
        if self._bar is not None and shown:
            self._bar.set_postfix({key: _short(row[key]) for key in shown})


def fit_identity(config: Any, seed: int, n_train: int, **extra: Any) -> dict:
    """What defines a ``fit`` run (its typed config, seed, number of training images and ``extra``).

    :class:`EpochLoop` refuses a checkpoint whose identity differs, so a changed config never resumes.
    """
    return {"config": dataclasses.asdict(config), "seed": int(seed), "n_train": n_train} | extra


def _short(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:.4f}"
