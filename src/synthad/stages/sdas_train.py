"""``synthad sdas-train``: train RealNet's SDAS diffusion model (a DDPM) on one category's good images.

Reads the category's training images at ``synthesis.sdas.image_size`` and trains
:func:`synthad.synthesis.ddpm.train_ddpm` (settings: :class:`~synthad.synthesis.sdas.SdasConfig`,
RealNet's paper values unless ``--params-json`` overrides them). Writes to ``--out``
(``data/banks/diffusion/<dataset>/<category>/``): the EMA U-Net (``unet/``, diffusers format),
``sdas_config.json``, ``train_log.csv`` and ``train_info.json``. The resumable state lives beside
``--out`` (a hidden file) until training finishes, so an interrupted run continues.
"""

from __future__ import annotations

import argparse
import csv
import time
from dataclasses import asdict
from pathlib import Path

import torch

from synthad.data.loader import load_train_images
from synthad.stages.sdas_options import add_sdas_arguments, start_sdas
from synthad.utils.io import atomic_dir, write_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad sdas-train``."""
    parser.add_argument("--index", required=True, type=Path, help="data/index/<dataset>/<category>.csv")
    parser.add_argument("--out", required=True, type=Path,
                        help="model folder, e.g. data/banks/diffusion/demo/fabric")
    add_sdas_arguments(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> None:
    """Train and write the model folder (see the module docstring)."""
    from synthad.synthesis.ddpm import save_unet, train_ddpm  # deferred: imports diffusers

    cfg, device = start_sdas(args)
    images, _ = load_train_images(args.index, cfg.image_size)
    rows: list[dict] = []
    state = args.out.parent / f".{args.out.name}.sdas-state.pt"
    start = time.perf_counter()
    unet = train_ddpm(images, cfg, seed=args.seed, device=device, checkpoint_path=state,
                      log=lambda step, row: rows.append({"step": step, **row}), progress=not args.no_progress)
    seconds = time.perf_counter() - start
    with atomic_dir(args.out) as tmp:
        save_unet(unet, tmp / "unet")
        write_json(tmp / "sdas_config.json", asdict(cfg) | {"seed": args.seed, "index": str(args.index)})
        write_json(tmp / "train_info.json", {"train_seconds": seconds, "n_train_images": len(images),
                                              "device": str(device), "threads": torch.get_num_threads()})
        with (tmp / "train_log.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["step", "loss", "mse", "vb"])
            writer.writeheader()
            writer.writerows(rows)
    state.unlink(missing_ok=True)
    print(f"trained SDAS on {len(images)} images in {seconds:.0f} s -> {args.out}")
