"""``synthad pretrain``: run a method's separate pre-training phase on one category, once, reusably.

Some methods pre-train part of their network on a self-supervised task before the main training
(SLSG's GPT-Net masked inpainting, whose encoder initialises SegNet). This stage runs that phase
(:meth:`~synthad.methods.base.Method.pretrain`) and writes to ``--out``
(``results/pretrain/<dataset>/<category>/<method>/seed<k>/``):

* ``pretrained.pt``: the weights (loadable with ``torch.load(weights_only=True)``), which
  ``synthad train --pretrained <out>/pretrained.pt`` hands to ``fit``,
* ``config.json``: method key, its typed config, dataset, category, seed,
* ``pretrain_log.csv``: one row per pre-training epoch; ``pretrain_info.json``: seconds, memory, device.

As for ``synthad train``, the resumable state is a hidden file beside ``--out`` named after a hash of
the run, deleted when the phase is done.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import torch

from synthad.config import TrainConfig, method_config, parse_slice
from synthad.data.index import read_index
from synthad.data.loader import ImageDataset
from synthad.errors import ConfigError
from synthad.methods import FitContext, get_method
from synthad.stages.train import _default_checkpoint, _identity, _image_size
from synthad.utils.io import atomic_path, write_json
from synthad.utils.runtime import peak_memory_mb, seed_everything, select_device


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad pretrain``."""
    parser.add_argument("--index", required=True, help="data/index/<dataset>/<category>.csv")
    parser.add_argument("--method", required=True, help="registry key of a method with a pre-training phase")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", required=True, type=Path, help="output folder (pretrained.pt and logs)")
    parser.add_argument("--params-json", default="{}", help="the method's method_params section (JSON)")
    parser.add_argument("--train-json", default="{}", help="the train: section (JSON)")
    parser.add_argument("--checkpoint", type=Path, help="resumable state file (default: derived)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> None:
    """Pre-train and write the output folder (see the module docstring)."""
    method_cls = get_method(args.method)
    if not method_cls.has_pretraining:
        raise ConfigError(f"method {args.method!r} has no pre-training phase")
    try:
        section = json.loads(args.params_json)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--params-json: not valid JSON: {exc}") from exc
    config = method_config(args.method, section, f"method_params.{args.method}")
    train_cfg = parse_slice(args.train_json, TrainConfig, "train")
    torch.set_num_threads(train_cfg.num_threads)
    seed_everything(args.seed)
    device = select_device(train_cfg.device)
    index = read_index(args.index)
    train_set = ImageDataset(index[index["split"] == "train"], _image_size(config))
    identity = _identity(args, config) | {"phase": "pretrain"}
    checkpoint = args.checkpoint or _default_checkpoint(args.out, identity)
    log_rows: list[dict] = []
    context = FitContext(seed=args.seed, device=device, checkpoint_path=checkpoint,
                         checkpoint_every=train_cfg.checkpoint_every, log=log_rows.append,
                         progress=not args.no_progress)
    start = time.perf_counter()
    weights = method_cls(config, device).pretrain(train_set, context)
    info = {"pretrain_seconds": time.perf_counter() - start, "peak_memory_mb": peak_memory_mb(device),
            "device": str(device), "n_train_images": len(train_set), "threads": torch.get_num_threads(),
            "epochs": len(log_rows)}
    _write_outputs(args.out, weights, identity, log_rows, info)
    checkpoint.unlink(missing_ok=True)


def _write_outputs(out: Path, weights: dict, identity: dict, log_rows: list[dict], info: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "pretrained.pt") as tmp:
        torch.save(weights, tmp)
    write_json(out / "config.json", identity)
    write_json(out / "pretrain_info.json", info)
    with atomic_path(out / "pretrain_log.csv") as tmp, tmp.open("w", newline="") as handle:
        fields = sorted({key for row in log_rows for key in row}) or ["epoch"]
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(log_rows)
