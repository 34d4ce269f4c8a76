"""Options and set-up that the SDAS stages share.

``sdas-train``, ``sdas-classifier``, ``sdas-sample`` and ``sdas-sheet`` read the same config, the
class list of a data set's model (its categories in label order) and the sampler's inputs.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from synthad.data.loader import load_train_images
from synthad.errors import ConfigError, DataError
from synthad.synthesis.sdas_config import SdasConfig, load_sdas_config
from synthad.utils.io import atomic_dir, write_json
from synthad.utils.runtime import select_device

if TYPE_CHECKING:  # the module imports diffusers; the stages import it only when they run
    from synthad.synthesis.sdas import Guide

CLASSES_FILE = "classes.json"  # category names in label order, in the model and classifier folders


def add_sdas_arguments(parser: argparse.ArgumentParser, seed: int = 0) -> None:
    """Declare ``--params-json`` (the ``synthesis.sdas`` section), ``--seed``, ``--device``, ``--threads``."""
    parser.add_argument("--params-json", default="{}", help="the synthesis.sdas section (JSON)")
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")


def start_sdas(args: argparse.Namespace) -> tuple[SdasConfig, torch.device]:
    """The typed ``synthesis.sdas`` config, after setting torch's thread count; and the device."""
    cfg = load_sdas_config(args.params_json)
    torch.set_num_threads(args.threads)
    return cfg, select_device(args.device)


def add_index_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the repeatable ``--index``: one index CSV per category (class) of the data set."""
    parser.add_argument("--index", required=True, type=Path, action="append",
                        help="data/index/<dataset>/<category>.csv; repeat it for every category of the "
                             "data set (class i = the i-th --index; one index = an unconditional model)")


def load_class_images(indexes: list[Path], size: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The training images of every category, their labels and the class names (index file stems).

    Returns:
        ``images (N, size, size, 3)`` uint8, ``labels (N,)`` int64 and the categories in label order.

    Raises:
        ConfigError: Two indexes of the same category name.
    """
    classes = [Path(index).stem for index in indexes]
    if len(set(classes)) != len(classes):
        raise ConfigError(f"--index: each category once, got {classes}")
    parts = [load_train_images(index, size)[0] for index in indexes]
    labels = np.concatenate([np.full(len(part), label, np.int64) for label, part in enumerate(parts)])
    return np.concatenate(parts), labels, classes


def write_train_log(path: Path, rows: list[dict], fields: list[str]) -> None:
    """The logged training rows as a CSV with ``fields`` as its header."""
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def write_trained_folder(out: Path, save: Callable[[Path], None], classes: list[str], rows: list[dict],
                         fields: list[str], info: dict, extra: dict[str, object] | None = None) -> None:
    """Write the folder of a trained SDAS network (diffusion model or guidance classifier) atomically.

    Args:
        out: The folder (replaced as a whole only when everything is written).
        save: Writes the network's weights into the temporary folder it is given.
        classes: Category of each class label (``classes.json``).
        rows: Logged training rows (``train_log.csv`` with header ``fields``).
        fields: Columns of the log.
        info: Seconds, image count, device, threads (``train_info.json``).
        extra: Further JSON files, name -> data.
    """
    with atomic_dir(out) as tmp:
        save(tmp)
        write_classes(tmp, classes)
        for name, data in (extra or {}).items():
            write_json(tmp / name, data)
        write_json(tmp / "train_info.json", info)
        write_train_log(tmp / "train_log.csv", rows, fields)


def train_info(seconds: float, n_images: int, device: torch.device) -> dict:
    """``train_info.json`` of an SDAS network: training seconds, image count, device, threads."""
    return {"train_seconds": seconds, "n_train_images": n_images, "device": str(device),
            "threads": torch.get_num_threads()}


def state_path(out: Path) -> Path:
    """The resumable state of the job writing ``out``: a hidden file beside it (Snakemake clears ``out``)."""
    return out.parent / f".{out.name}.sdas-state.pt"


def write_classes(folder: Path, classes: list[str]) -> None:
    """Record the category of each class label in ``folder``."""
    write_json(folder / CLASSES_FILE, classes)


def read_classes(folder: Path) -> list[str]:
    """The categories of a model or classifier folder, in label order.

    Raises:
        DataError: The folder has no class list (made before models were per data set: retrain).
    """
    path = Path(folder) / CLASSES_FILE
    if not path.is_file():
        raise DataError(f"{path}: missing; the folder was not written by this version: retrain it")
    return json.loads(path.read_text())


def sampler_inputs(args: argparse.Namespace, cfg: SdasConfig, device: torch.device):
    """The U-Net of ``--model``, the class label of ``--category`` and the guide, if guided.

    Guidance (``cfg.guidance_scale > 0``) applies to a model of two or more categories and needs the
    data set's classifier (``--classifier``); a one-category model is unconditional, never guided.

    Returns:
        ``(unet, label, guide)``: label ``None`` and guide ``None`` for an unconditional model.

    Raises:
        ConfigError: ``--category`` missing or unknown, or guidance on without ``--classifier``.
        DataError: A folder is missing or corrupt, or the classifier's classes are not the model's.
    """
    from synthad.synthesis.ddpm import load_unet  # deferred: imports diffusers

    unet, classes = load_unet(args.model / "unet", device), read_classes(args.model)
    if len(classes) == 1 and args.category in (None, classes[0]):
        return unet, None, None
    if args.category not in classes:
        raise ConfigError(f"--category: one of the model's categories {classes}, got {args.category!r}")
    label = classes.index(args.category)
    if cfg.guidance_scale == 0:
        return unet, label, None
    if args.classifier is None:
        raise ConfigError(f"synthesis.sdas.guidance_scale is {cfg.guidance_scale}: pass --classifier "
                          f"(made by `synthad sdas-classifier`), or set guidance_scale: 0")
    return unet, label, _guide(args.classifier, classes, cfg.guidance_scale, device)


def _guide(folder: Path, classes: list[str], scale: float, device: torch.device) -> Guide:
    from synthad.synthesis.noisy_classifier import classifier_guide, load_classifier

    if read_classes(folder) != classes:
        raise DataError(f"{folder}: the classifier's categories {read_classes(folder)} are not the "
                        f"model's {classes}; retrain one of them")
    return classifier_guide(load_classifier(folder, device), scale)


def add_sampler_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``--model``, ``--category`` and ``--classifier`` (what :func:`sampler_inputs` reads)."""
    parser.add_argument("--model", required=True, type=Path, help="folder written by `synthad sdas-train`")
    parser.add_argument("--category", help="the category to sample (its class label); not needed for a "
                                           "one-category model")
    parser.add_argument("--classifier", type=Path,
                        help="folder written by `synthad sdas-classifier`: classifier guidance "
                             "(synthesis.sdas.guidance_scale > 0)")
