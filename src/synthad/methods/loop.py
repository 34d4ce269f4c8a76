"""The resumable epoch loop that every method's ``fit`` runs: resume, progress bar, log, checkpoints.

Each method trains for its own kind of "epoch" (DRAEM's epochs, NDP-Net's two phases, SLSG's chunks
of ``log_every`` steps), but the bookkeeping around it is the same, so it lives here once::

    loop = EpochLoop(context, cfg.epochs, "draem", objects, rng, identity)
    for epoch in loop:                       # the epochs still to run after a resume
        for step in range(steps):
            loss = ...
            loop.check_loss(loss, step)      # a NaN/inf loss stops the run, naming epoch and step
            loss.backward()
        loop.log(row | {"epoch": epoch + 1}, "loss", "focal")
    # the state was saved every context.checkpoint_every epochs and after the last one

A checkpoint also holds the run's :class:`~synthad.methods.record.RunRecord` (``context.record``):
on a resume the loop replays the saved log rows into ``context.log``, carries the training seconds
over, records the resume and says so on stderr, so a killed and resumed run logs what an
uninterrupted one does.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from synthad.errors import TrainingDiverged
from synthad.methods.base import FitContext
from synthad.utils.checkpoint import load_training_state, save_training_state

CONTEXT = object()  # EpochLoop's default checkpoint: the context's
RECORD = "run_record"  # the checkpoint entry of context.record


class EpochLoop:
    """Epochs ``start .. total - 1`` of a resumable training loop.

    Creating it restores ``objects``, ``rng`` and ``context.record`` from ``context.checkpoint_path``
    when that file exists (``start`` is then the number of epochs already done), replays the restored
    log rows into ``context.log`` and prints one line to stderr. Iterating yields the epochs still to
    run; after the body of each, the state is saved when ``context.checkpoint_every`` epochs and at
    least ``context.checkpoint_seconds`` seconds have passed since the last save, or the last epoch
    is done (never when ``context.checkpoint_path`` is ``None``).

    Args:
        context: The run's seed, device, log, progress switch, checkpoint file and cadence.
        total: Number of epochs of the whole run.
        desc: Progress-bar label; names the method (and phase) in messages.
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
        if context.device.type == "cpu":
            channels_last(objects.values())
        self.start = self._restore()
        self.epoch = self.start  # the epoch being run (0-based), for check_loss's message
        self._bar: tqdm | None = None

    def _restore(self) -> int:
        """Load the checkpoint, if any; replay its log rows and record the resume."""
        record = self.context.record
        logged = len(record.rows)  # rows this piece already handed to context.log (an earlier loop)
        resuming = self.checkpoint is not None and Path(self.checkpoint).is_file()
        start = load_training_state(self.checkpoint, self.objects | {RECORD: record}, self.rng, self.identity)
        if resuming:
            for row in record.rows[logged:]:
                self.context.log(row)
            record.resumes.append({"loop": self.desc, "after_epoch": start, "of": self.total})
            print(f"{self.desc}: resuming from {self.checkpoint} after epoch {start} of {self.total}",
                  file=sys.stderr)
        return start

    def __iter__(self) -> Iterator[int]:
        every = max(1, self.context.checkpoint_every)
        self._bar = tqdm(range(self.start, self.total), desc=self.desc, initial=self.start, total=self.total,
                         disable=not self.context.progress, leave=False)
        last_save = time.monotonic()
        for epoch in self._bar:
            self.epoch = epoch
            yield epoch
            done = epoch + 1
            due = done % every == 0 and time.monotonic() - last_save >= self.context.checkpoint_seconds
            if due or done == self.total:
                self.save(done)
                last_save = time.monotonic()

    def save(self, done: int) -> None:
        """Save the state after ``done`` completed epochs (no-op without a checkpoint file)."""
        if self.checkpoint is not None:
            objects = self.objects | {RECORD: self.context.record}
            save_training_state(self.checkpoint, done, objects, self.rng, self.identity)

    def check_loss(self, loss: torch.Tensor, step: int, what: str = "loss") -> None:
        """Stop the run when ``loss`` is NaN or infinite; call it before ``backward``.

        The optimiser then never steps on a non-finite gradient, no final model is written and the
        checkpoint of the last good epoch stays. One ``isfinite`` per step: it waits for the device
        as the ``loss.item()`` of the log does anyway.

        Args:
            loss: Scalar loss of one step.
            step: 0-based step within the current epoch (the loop's unit: a ``train_log.csv`` row).
            what: Name of the loss in the message (a method with several).

        Raises:
            TrainingDiverged: Naming the method (``desc``), epoch and step, both 1-based.
        """
        if not bool(torch.isfinite(loss).all()):
            raise TrainingDiverged(f"{self.desc}: {what} is {loss.detach().float().mean().item()} at epoch"
                                   f" {self.epoch + 1}, step {step + 1}; lower the learning rate or"
                                   " check the training images")

    def log(self, row: dict[str, float], *shown: str) -> None:
        """Hand ``row`` to ``context.log`` (and the run record) and show its ``shown`` entries."""
        row = {key: _plain(value) for key, value in row.items()}
        self.context.record.rows.append(row)
        self.context.log(row)
        if self._bar is not None and shown:
            self._bar.set_postfix({key: _short(row[key]) for key in shown})


def channels_last(objects: Any) -> None:
    """Store the 4-D weights of every module in ``objects`` channels-last (NHWC), in place.

    Why: on the CPU, oneDNN's convolutions run in NHWC; with NCHW weights every convolution
    reorders its tensors first. Measured at the demo budgets (``bench/bench_channels_last.py``, one
    thread): DMP and SLSG fit in about 0.75 of the time, DRAEM and NDP-Net in 0.82-0.88, RealNet
    and IMM+ALM (few convolutions per step) within 5 % of before. A convolution
    whose weight is channels-last computes channels-last whatever its input's layout, so the
    batches need no conversion. ``Module.to`` keeps each ``Parameter`` object, so optimisers built
    before the call still hold the model's parameters, and their state is created in the same layout.
    Values are unchanged; only the summation order inside a convolution can differ.
    """
    for obj in objects:
        if isinstance(obj, torch.nn.Module):
            obj.to(memory_format=torch.channels_last)


def fit_identity(config: Any, seed: int, n_train: int, **extra: Any) -> dict:
    """What defines a ``fit`` run (its typed config, seed, number of training images and ``extra``).

    :class:`EpochLoop` refuses a checkpoint whose identity differs, so a changed config never resumes.
    """
    return {"config": dataclasses.asdict(config), "seed": int(seed), "n_train": n_train} | extra


def _plain(value: Any) -> int | float | str:
    """A log value as a Python number: what a checkpoint keeps and a replay gives back unchanged."""
    if isinstance(value, torch.Tensor | np.generic):
        value = value.item()
    return value if isinstance(value, int | float | str) else float(value)


def _short(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:.4f}"
