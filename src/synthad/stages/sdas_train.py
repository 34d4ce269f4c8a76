"""``synthad sdas-train``: train RealNet's SDAS diffusion model (a DDPM) on a data set's good images.

As the paper and the official code: one class-conditional model per data set, its categories as
the classes (one ``--index`` per category; class ``i`` = the ``i``-th). One ``--index`` trains an
unconditional model of that category alone. Reads the training images at
``synthesis.sdas.image_size`` and trains :func:`synthad.synthesis.ddpm.train_ddpm` (settings:
:class:`~synthad.synthesis.sdas_config.SdasConfig`, RealNet's paper values unless ``--params-json``
overrides them). Writes to ``--out`` (``data/banks/diffusion/<dataset>/model/``): the EMA U-Net
(``unet/``, diffusers format), ``classes.json``, ``sdas_config.json``, ``train_log.csv`` and
``train_info.json``. The resumable state lives beside ``--out`` (a hidden file) until training
finishes, so an interrupted run continues.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict

from synthad.stages.options import output_path
from synthad.stages.sdas_options import (
    add_index_arguments,
    add_sdas_arguments,
    load_class_images,
    start_sdas,
    state_path,
    train_info,
    write_trained_folder,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad sdas-train``."""
    add_index_arguments(parser)
    parser.add_argument("--out", required=True, type=output_path,
                        help="model folder, e.g. data/banks/diffusion/demo/model")
    add_sdas_arguments(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> None:
    """Train and write the model folder (see the module docstring)."""
    from synthad.synthesis.ddpm import save_unet, train_ddpm  # deferred: imports diffusers

    cfg, device = start_sdas(args)
    images, labels, classes = load_class_images(args.index, cfg.image_size)
    rows: list[dict] = []
    state = state_path(args.out)
    start = time.perf_counter()
    unet = train_ddpm(images, cfg, seed=args.seed, device=device, checkpoint_path=state,
                      log=lambda step, row: rows.append({"step": step, **row}), progress=not args.no_progress,
                      labels=labels, num_classes=len(classes))
    seconds = time.perf_counter() - start
    config = asdict(cfg) | {"seed": args.seed, "index": [str(i) for i in args.index]}
    write_trained_folder(args.out, lambda tmp: save_unet(unet, tmp / "unet"), classes, rows,
                         ["step", "loss", "mse", "vb"], train_info(seconds, len(images), device),
                         {"sdas_config.json": config})
    state.unlink(missing_ok=True)
    print(f"trained SDAS on {len(images)} images of {len(classes)} categories in {seconds:.0f} s"
          f" -> {args.out}")
