"""What ``synthad train`` and ``synthad pretrain`` share: options, set-up, run identity, log file.

Both run one method on one category with one seed, resumably, and write a folder of weights,
``config.json`` (the run identity), an info JSON and a per-epoch log CSV.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import glob
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from synthad.config import TrainConfig, parse_slice
from synthad.errors import ConfigError
from synthad.evaluation.threshold import split_holdout
from synthad.methods import get_method, method_config
from synthad.stages.options import output_path, ranged_int, with_method_keys
from synthad.utils.io import atomic_path, save_torch, write_json
from synthad.utils.ranges import Seed
from synthad.utils.runtime import seed_everything, select_device


def add_run_arguments(parser: argparse.ArgumentParser, method_help: str, out_help: str) -> None:
    """Declare the options every method run has (``--index``, ``--method``, ``--seed``, ...)."""
    parser.add_argument("--index", required=True, help="data/index/<dataset>/<category>.csv")
    parser.add_argument("--method", required=True, help=with_method_keys(method_help))
    parser.add_argument("--seed", type=ranged_int(Seed), required=True, help="a seed of params.yaml `seeds`")
    parser.add_argument("--out", required=True, type=output_path, help=out_help)
    parser.add_argument("--params-json", default="{}", help="the method's method_params section (JSON)")
    parser.add_argument("--train-json", default="{}", help="the train: section (JSON)")
    parser.add_argument("--checkpoint", type=output_path, help="resumable state file (default: derived)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


@dataclass
class MethodRun:
    """A parsed run: the method class, its typed config and the ``train:`` section."""

    method_cls: Any
    config: Any
    train: TrainConfig

    @classmethod
    def parse(cls, args: argparse.Namespace) -> MethodRun:
        """Read ``--method``, ``--params-json`` and ``--train-json``.

        Raises:
            ConfigError: Unknown method, invalid JSON, or a section the configs reject.
        """
        method_cls = get_method(args.method)
        try:
            section = json.loads(args.params_json)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"--params-json: not valid JSON: {exc}") from exc
        config = method_config(args.method, section, f"method_params.{args.method}")
        return cls(method_cls, config, parse_slice(args.train_json, TrainConfig, "train"))

    def start(self, seed: int) -> torch.device:
        """Set the thread count and every seed; return the device to train on."""
        torch.set_num_threads(self.train.num_threads)
        seed_everything(seed)
        return select_device(self.train.device)

    @property
    def image_size(self) -> int:
        """Training resolution: the method's own ``image_size`` (all methods define one)."""
        return int(getattr(self.config, "image_size", 256))

    def training_rows(self, index: pd.DataFrame, seed: int,
                      source: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The good training images the method learns from, and those held out for the threshold.

        ``train.holdout_fraction`` of them (seeded by ``seed``) never reach ``fit`` or ``pretrain``;
        see :func:`synthad.evaluation.threshold.split_holdout`.

        Returns:
            ``(fit_rows, holdout_rows)`` of ``index``'s ``train`` split.
        """
        return split_holdout(index[index["split"] == "train"], self.train.holdout_fraction, seed, source)


def run_identity(args: argparse.Namespace, config, holdout_fraction: float = 0.0) -> dict:
    """Everything that defines the run (``config.json``; its hash names the resumable state).

    ``holdout_fraction`` (``train.holdout_fraction``) changes the images the method learns from; it
    is recorded only when non-zero, so a run on every image keeps the identity it always had.
    """
    index = Path(args.index)
    holdout = {"holdout_fraction": holdout_fraction} if holdout_fraction else {}
    return holdout | {
        "method": args.method,
        "config": dataclasses.asdict(config),
        "dataset": index.parent.name,
        "category": index.stem,
        "seed": args.seed,
        "index_sha256": hashlib.sha256(index.read_bytes()).hexdigest(),
    } | _pretrained_identity(getattr(args, "pretrained", None))


def _pretrained_identity(path: Path | None) -> dict:
    """The pre-trained file's hash, so a run resumes only with the weights it started from."""
    if path is None:
        return {}
    return {"pretrained_sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest()}


def default_checkpoint(out: Path, identity: dict) -> Path:
    """A hidden file beside ``out`` named after a hash of the run's identity.

    Beside, not inside: Snakemake deletes the outputs of an interrupted job before re-running it.
    """
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
    return out.parent / f".{out.name}.state-{digest}.pt"


def remove_stale_states(out: Path, keep: list[Path]) -> None:
    """Delete the resumable states beside ``out`` that a run of another configuration left behind.

    A killed run leaves ``.<out>.state-<hash>.pt`` (and files named after it: its artifacts
    ``<state>.<name>.json``, SLSG's ``<state>.gptnet``); once the configuration changed, its hash is
    never asked for again. Each such state is deleted with one line on stderr.

    Args:
        out: The run's output folder.
        keep: This run's state files (their hashes stay).
    """
    if not out.parent.is_dir():
        return
    pattern = re.compile(rf"\.{re.escape(out.name)}\.state-[0-9a-f]+\.pt")
    stale: dict[str, list[Path]] = {}
    for path in sorted(out.parent.glob(f".{glob.escape(out.name)}.state-*")):
        state = pattern.match(path.name)
        if state and state.group() not in {k.name for k in keep}:
            stale.setdefault(state.group(), []).append(path)
    for name, paths in stale.items():
        for path in paths:
            path.unlink(missing_ok=True)
        print(f"removed the training state {out.parent / name} of another configuration"
              f" ({len(paths)} file(s))", file=sys.stderr)


def write_run_folder(out: Path, weights: dict, identity: dict, log_rows: list[dict],
                     names: tuple[str, str, str], info: dict) -> None:
    """Write the run folder: weights, ``config.json``, an info JSON and the per-epoch log CSV.

    Args:
        out: The run folder (created).
        weights: State dict, saved byte-reproducibly (readable with ``weights_only=True``).
        identity: The run identity (``config.json``).
        log_rows: One flat dict per epoch; the CSV's columns are the union of their keys.
        names: File names of the weights, the info JSON and the log CSV.
        info: Seconds, memory, device, counts and resumes (the info JSON, the run's only timing file
            besides the log's ``seconds`` column).
    """
    weights_name, info_name, log_name = names
    out.mkdir(parents=True, exist_ok=True)
    save_torch(weights, out / weights_name)
    write_json(out / "config.json", identity)
    write_json(out / info_name, info)
    with atomic_path(out / log_name) as tmp, tmp.open("w", newline="") as handle:
        fields = sorted({key for row in log_rows for key in row}) or ["epoch"]
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(log_rows)
