"""``synthad train``: train one method on one category with one seed.

Writes to ``--out`` (``results/models/<dataset>/<category>/<method>/seed<k>/``):

* ``model.pt``: the method's ``state_dict()`` (loadable with ``torch.load(weights_only=True)``),
* ``config.json``: method key, its typed config, dataset, category, seed,
* ``train_log.csv``: one row per epoch (losses, learning rate, seconds),
* ``train_info.json``: training seconds, peak memory, device, number of training images,
* ``<name>.json``: artifacts a method cached as ``<checkpoint>.<name>.json`` (RealNet: ``afs.json``).

``--pretrained <file>`` hands the weights of a method's separate pre-training phase (``synthad
pretrain``, e.g. SLSG's GPT-Net) to ``fit`` as ``context.pretrained``; its hash joins the run identity.

The resumable training state is kept *outside* ``--out`` (``--checkpoint``, by default a hidden
file beside it, ``.seed<k>.state-<hash>.pt``) because Snakemake deletes the outputs of an
interrupted job before re-running it; the file name carries a hash of everything that defines the
run, so a changed config never resumes from a stale state. It is deleted once training finishes.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import json
import time
from pathlib import Path

import torch

from synthad.banks import parse_bank_flags
from synthad.config import TrainConfig, method_config, parse_slice
from synthad.data.index import read_index
from synthad.data.loader import ImageDataset
from synthad.errors import ConfigError
from synthad.methods import FitContext, get_method
from synthad.utils.io import atomic_path, write_json
from synthad.utils.runtime import peak_memory_mb, seed_everything, select_device


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad train``."""
    parser.add_argument("--index", required=True, help="data/index/<dataset>/<category>.csv")
    parser.add_argument("--method", required=True, help="registry key, e.g. draem")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", required=True, type=Path, help="output folder of the run")
    parser.add_argument("--params-json", default="{}", help="the method's method_params section (JSON)")
    parser.add_argument("--train-json", default="{}", help="the train: section (JSON)")
    parser.add_argument("--masks", type=Path, help="foreground mask folder (methods that need it)")
    parser.add_argument("--bank", action="append", default=[], metavar="KIND=FOLDER",
                        help="anomaly bank the method needs, e.g. textures=data/banks/textures/builtin"
                             " (repeat for several kinds)")
    parser.add_argument("--source-index", action="append", default=[], type=Path,
                        help="index CSV of another category of the data set, for methods that need"
                             " dataset_images (DMP's sources; repeat, pair with --source-masks)")
    parser.add_argument("--source-masks", action="append", default=[], type=Path,
                        help="foreground mask folder of the matching --source-index")
    parser.add_argument("--pretrained", type=Path,
                        help="weights file of the method's pre-training phase, written by `synthad pretrain`"
                             " (optional; methods with has_pretraining, e.g. slsg)")
    parser.add_argument("--checkpoint", type=Path, help="resumable state file (default: derived)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> None:
    """Train and write the run folder (see the module docstring)."""
    method_cls = get_method(args.method)
    try:
        section = json.loads(args.params_json)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--params-json: not valid JSON: {exc}") from exc
    config = method_config(args.method, section, f"method_params.{args.method}")
    train_cfg = parse_slice(args.train_json, TrainConfig, "train")
    banks = parse_bank_flags(args.bank)
    _check_needs(method_cls.key, method_cls.needs_for(config), args.masks, banks)
    _check_pretrained(method_cls, args.pretrained)

    torch.set_num_threads(train_cfg.num_threads)
    seed_everything(args.seed)
    device = select_device(train_cfg.device)
    index = read_index(args.index)
    masks_dir = args.masks if "foreground_masks" in method_cls.needs_for(config) else None
    train_set = ImageDataset(index[index["split"] == "train"], _image_size(config), masks_dir)

    identity = _identity(args, config)
    checkpoint = args.checkpoint or _default_checkpoint(args.out, identity)
    method = method_cls(config, device)
    log_rows: list[dict] = []
    context = FitContext(
        seed=args.seed, device=device, checkpoint_path=checkpoint,
        checkpoint_every=train_cfg.checkpoint_every, banks=banks,
        dataset_sources=_dataset_sources(args, method_cls.needs_for(config)),
        log=log_rows.append, progress=not args.no_progress, pretrained=args.pretrained,
    )
    start = time.perf_counter()
    method.fit(train_set, context)
    seconds = time.perf_counter() - start
    _write_outputs(args.out, method, identity, log_rows, {
        "train_seconds": seconds, "peak_memory_mb": peak_memory_mb(device), "device": str(device),
        "n_train_images": len(train_set), "threads": torch.get_num_threads(),
    })
    _collect_artifacts(checkpoint, args.out)
    checkpoint.unlink(missing_ok=True)


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


def _image_size(config) -> int:
    """Training resolution: the method's own ``image_size`` (all methods define one)."""
    return int(getattr(config, "image_size", 256))


def _identity(args: argparse.Namespace, config) -> dict:
    index = Path(args.index)
    return {
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


def _default_checkpoint(out: Path, identity: dict) -> Path:
    """A hidden file beside ``out`` named after a hash of the run's identity."""
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
    return out.parent / f".{out.name}.state-{digest}.pt"


def _write_outputs(out: Path, method, identity: dict, log_rows: list[dict], info: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "model.pt") as tmp:
        torch.save(method.state_dict(), tmp)
    write_json(out / "config.json", identity)
    write_json(out / "train_info.json", info | {"epochs": len(log_rows)})
    with atomic_path(out / "train_log.csv") as tmp, tmp.open("w", newline="") as handle:
        fields = sorted({key for row in log_rows for key in row}) or ["epoch"]
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(log_rows)
