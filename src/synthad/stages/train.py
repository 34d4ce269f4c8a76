"""``synthad train``: train one method on one category with one seed.

Writes to ``--out`` (``results/models/<dataset>/<category>/<method>/seed<k>/``):

* ``model.pt``: the method's ``state_dict()`` (loadable with ``torch.load(weights_only=True)``),
* ``config.json``: method key, its typed config, dataset, category, seed,
* ``train_log.csv``: one row per epoch (losses, learning rate, seconds), every epoch of the run
  even when it was interrupted and resumed,
* ``train_info.json``: training seconds (summed over the pieces of a resumed run), peak memory,
  device, threads, number of training images, ``epochs`` (rows of the log) and ``resumes`` (one
  ``{"loop", "after_epoch", "of"}`` per resume; ``[]`` for an uninterrupted run). It is the folder's
  only timing file besides the log's ``seconds`` column: ``model.pt`` and ``config.json`` are
  byte-identical for the same seed and inputs,
* ``<name>.json``: artifacts a method cached as ``<checkpoint>.<name>.json`` (RealNet: ``afs.json``),
* ``threshold.json``: the decision threshold (:mod:`synthad.evaluation.threshold`). ``train.holdout_fraction``
  of the good training images (at least 2, drawn with the seed) are held out of ``fit``; after
  training the saved model is loaded back as ``synthad evaluate`` loads it and scores them at
  evaluation's ``resolution`` (``--eval-json``), and the threshold flags at most
  ``train.false_alarm_rate`` of them. Absent when ``holdout_fraction`` is 0 (every image trains).

``--pretrained <file>`` hands the weights of a method's separate pre-training phase (``synthad
pretrain``, e.g. SLSG's GPT-Net) to ``fit`` as ``context.pretrained``; its hash joins the run identity.

The resumable training state is kept *outside* ``--out`` (``--checkpoint``, by default a hidden
file beside it, ``.seed<k>.state-<hash>.pt``) because Snakemake deletes the outputs of an
interrupted job before re-running it; the file name carries a hash of everything that defines the
run, so a changed config never resumes from a stale state; a state of another configuration found
beside ``--out`` at the start is deleted (one line on stderr). It is deleted once training finishes.
A NaN or infinite loss stops training with an error naming the method, epoch and step (exit 1, no
``model.pt``; the checkpoint of the last good epoch stays).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from synthad.banks import parse_bank_flags
from synthad.config import EvaluateConfig, TrainConfig, parse_slice
from synthad.data.index import read_index
from synthad.data.loader import ImageDataset
from synthad.errors import ConfigError
from synthad.evaluation.evaluate import load_model, predict_split
from synthad.evaluation.threshold import THRESHOLD_FILE, threshold_record, write_threshold
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

TRAIN_FILES = ("model.pt", "train_info.json", "train_log.csv")  # weights, info, log (method_run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad train``."""
    add_run_arguments(parser, method_help="registry key, e.g. draem", out_help="output folder of the run")
    parser.add_argument("--masks", type=Path, help="foreground mask folder (methods that need it)")
    parser.add_argument("--bank", action="append", default=[], metavar="KIND=FOLDER",
                        help="anomaly bank the method needs, e.g. textures=data/banks/textures/builtin"
                             " (repeat for several kinds)")
    parser.add_argument("--source-index", action="append", default=[], type=Path,
                        help="index CSV of another category of the data set, for methods that need"
                             " dataset_images (DMP's sources; repeat, pair with --source-masks)")
    parser.add_argument("--source-masks", action="append", default=[], type=Path,
                        help="foreground mask folder of the matching --source-index")
    parser.add_argument("--eval-json", default="{}",
                        help="the evaluate: section (JSON; its resolution and batch_size): the held-out"
                             " images are scored as evaluation scores test images")
    parser.add_argument("--pretrained", type=Path,
                        help="weights file of the method's pre-training phase, written by `synthad pretrain`"
                             " (optional; methods with has_pretraining, e.g. slsg)")


def run(args: argparse.Namespace) -> None:
    """Train and write the run folder (see the module docstring)."""
    setup = MethodRun.parse(args)
    method_cls, config = setup.method_cls, setup.config
    banks = parse_bank_flags(args.bank)
    _check_needs(method_cls.key, method_cls.needs_for(config), args.masks, banks)
    _check_pretrained(method_cls, args.pretrained)
    scoring = parse_slice(args.eval_json, EvaluateConfig, "evaluate")  # a typo fails before training

    device = setup.start(args.seed)
    index = read_index(args.index)
    masks_dir = args.masks if "foreground_masks" in method_cls.needs_for(config) else None
    fit_rows, holdout_rows = setup.training_rows(index, args.seed, args.index)
    train_set = ImageDataset(fit_rows, setup.image_size, masks_dir)

    identity = run_identity(args, config, setup.train.holdout_fraction)
    checkpoint = args.checkpoint or default_checkpoint(args.out, identity)
    remove_stale_states(args.out, [default_checkpoint(args.out, identity), checkpoint])
    method = method_cls(config, device)
    log_rows: list[dict] = []
    context = FitContext(
        seed=args.seed, device=device, checkpoint_path=checkpoint,
        checkpoint_every=setup.train.checkpoint_every,
        checkpoint_seconds=setup.train.checkpoint_seconds, banks=banks,
        dataset_sources=_dataset_sources(args, method_cls.needs_for(config)),
        log=log_rows.append, progress=not args.no_progress, pretrained=args.pretrained,
    )
    method.fit(train_set, context)
    (args.out / THRESHOLD_FILE).unlink(missing_ok=True)  # a stale one never sits beside new weights
    write_run_folder(args.out, method.state_dict(), identity, log_rows, TRAIN_FILES, {
        "train_seconds": context.record.seconds(), "peak_memory_mb": peak_memory_mb(device),
        "device": str(device), "n_train_images": len(train_set), "threads": torch.get_num_threads(),
        "epochs": len(log_rows), "resumes": context.record.resumes, "n_holdout_images": len(holdout_rows),
    })
    _collect_artifacts(checkpoint, args.out)
    if len(holdout_rows):
        _write_threshold(args.out, holdout_rows, setup.train, scoring, device, not args.no_progress)
    checkpoint.unlink(missing_ok=True)  # last: a failed scoring resumes after the final epoch


def _write_threshold(out: Path, holdout_rows, train: TrainConfig, scoring: EvaluateConfig,
                     device: torch.device, progress: bool) -> None:
    """Score the held-out good images with the saved model and write ``threshold.json``.

    The model is loaded back from ``out`` and the images are read at ``scoring.resolution``, as
    ``synthad evaluate`` does with test images, so the threshold is in the units of test scores.
    """
    method, _, _ = load_model(out, device)
    held_out = ImageDataset(holdout_rows, scoring.resolution)
    outputs = predict_split(method, held_out, scoring.batch_size, progress)
    write_threshold(out, threshold_record(outputs.scores, outputs.maps, outputs.paths, train.false_alarm_rate,
                                          train.holdout_fraction, scoring.resolution, held_out.mode))


def _collect_artifacts(checkpoint: Path, out: Path) -> None:
    """Move ``fit``'s run artifacts into the run folder, so they are versioned with the model.

    A method caches them beside its checkpoint as ``<checkpoint>.<name>.json`` (RealNet's AFS channel
    indices); they become ``<out>/<name>.json``.
    """
    for path in checkpoint.parent.glob(f"{checkpoint.name}.*.json"):
        path.replace(out / path.name[len(checkpoint.name) + 1:])


def _check_needs(key: str, needs: frozenset[str], masks: Path | None, banks: dict[str, Path]) -> None:
    """Fail before training when an offline input the method declares is not given."""
    # No other category is a valid data set too; a pre-trained file is optional (see base.py).
    for need in sorted(needs - {"dataset_images", "pretrained"}):
        path, flag = ((masks, "--masks") if need == "foreground_masks"
                      else (banks.get(need), f"--bank {need}="))
        if path is None or not Path(path).is_dir():
            raise ConfigError(f"method {key!r} needs {need}: pass an existing folder with {flag}"
                              f" (got {path})")


def _check_pretrained(method_cls, path: Path | None) -> None:
    """``--pretrained`` must be an existing file, for a method that has a pre-training phase."""
    if path is None:
        return
    if not method_cls.has_pretraining:
        raise ConfigError(f"method {method_cls.key!r} has no pre-training phase; drop --pretrained")
    if not Path(path).is_file():
        raise ConfigError(f"--pretrained: no such file: {path} (write it with `synthad pretrain`)")


def _dataset_sources(args: argparse.Namespace, needs: frozenset[str]) -> list[tuple[Path, Path | None]]:
    """``(index, masks)`` pairs of ``--source-index``/``--source-masks`` when the method reads them."""
    if "dataset_images" not in needs:
        return []
    if len(args.source_masks) not in (0, len(args.source_index)):
        raise ConfigError("give one --source-masks per --source-index (or none)")
    masks = args.source_masks or [None] * len(args.source_index)
    for path in [*args.source_index, *args.source_masks]:
        if not Path(path).exists():
            raise ConfigError(f"source category input not found: {path}")
    return list(zip(args.source_index, masks, strict=True))
