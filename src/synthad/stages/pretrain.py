"""``synthad pretrain``: run a method's separate pre-training phase on one category, once, reusably.

Some methods pre-train part of their network on a self-supervised task before the main training
(SLSG's GPT-Net masked inpainting, whose encoder initialises SegNet). This stage runs that phase
(:meth:`~synthad.methods.base.Method.pretrain`) and writes to ``--out``
(``results/pretrain/<dataset>/<category>/<method>/seed<k>/``):

* ``pretrained.pt``: the weights (loadable with ``torch.load(weights_only=True)``), which
  ``synthad train --pretrained <out>/pretrained.pt`` hands to ``fit``,
* ``config.json``: method key, its typed config, dataset, category, seed,
* ``pretrain_log.csv``: one row per pre-training epoch; ``pretrain_info.json``: seconds, memory, device,
  ``epochs`` and ``resumes``, as ``train_info.json`` (:mod:`synthad.stages.train`).

The good training images ``synthad train`` holds out for its decision threshold (same seed, same
``train.holdout_fraction``) are left out here too. As for ``synthad train``, the resumable state
is a hidden file beside ``--out`` named after a hash of the run (a state of another configuration
is deleted at the start), deleted when the phase is done.
"""

from __future__ import annotations

import argparse

import torch

from synthad.data.index import read_index
from synthad.data.loader import ImageDataset
from synthad.errors import ConfigError
from synthad.methods import FitContext
from synthad.stages.method_run import (
    MethodRun,
    add_run_arguments,
    default_checkpoint,
    remove_stale_states,
    run_identity,
    write_run_folder,
)
from synthad.utils.runtime import peak_memory_mb

PRETRAIN_FILES = ("pretrained.pt", "pretrain_info.json", "pretrain_log.csv")  # weights, info, log


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad pretrain``."""
    add_run_arguments(parser, method_help="registry key of a method with a pre-training phase",
                      out_help="output folder (pretrained.pt and logs)")


def run(args: argparse.Namespace) -> None:
    """Pre-train and write the output folder (see the module docstring)."""
    setup = MethodRun.parse(args)
    if not setup.method_cls.has_pretraining:
        raise ConfigError(f"method {args.method!r} has no pre-training phase")
    device = setup.start(args.seed)
    index = read_index(args.index)
    fit_rows, _ = setup.training_rows(index, args.seed, args.index)  # the threshold's images stay unseen
    train_set = ImageDataset(fit_rows, setup.image_size)
    identity = run_identity(args, setup.config, setup.train.holdout_fraction) | {"phase": "pretrain"}
    checkpoint = args.checkpoint or default_checkpoint(args.out, identity)
    remove_stale_states(args.out, [default_checkpoint(args.out, identity), checkpoint])
    log_rows: list[dict] = []
    context = FitContext(seed=args.seed, device=device, checkpoint_path=checkpoint,
                         checkpoint_every=setup.train.checkpoint_every,
                         checkpoint_seconds=setup.train.checkpoint_seconds, log=log_rows.append,
                         progress=not args.no_progress)
    weights = setup.method_cls(setup.config, device).pretrain(train_set, context)
    info = {"pretrain_seconds": context.record.seconds(), "peak_memory_mb": peak_memory_mb(device),
            "device": str(device), "n_train_images": len(train_set), "threads": torch.get_num_threads(),
            "epochs": len(log_rows), "resumes": context.record.resumes}
    write_run_folder(args.out, weights, identity, log_rows, PRETRAIN_FILES, info)
    checkpoint.unlink(missing_ok=True)
