"""``synthad sdas-sheet``: what the anomaly strength does, on one sheet.

Rows: real training images of the category, then SDAS samples at ``s = 0`` (ordinary sampling:
should look like the category), ``s = 0.1`` and ``s = 0.2`` (RealNet's "weak" and "strong"). Each
column starts every row from the same initial noise and step noise, so a column shows one sample
under growing perturbation.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from synthad.data.loader import load_train_images
from synthad.synthesis.sdas_config import load_sdas_config
from synthad.utils.grid import save_image_grid
from synthad.utils.runtime import select_device

STRENGTHS = (0.0, 0.1, 0.2)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad sdas-sheet``."""
    parser.add_argument("--model", required=True, type=Path, help="folder written by `synthad sdas-train`")
    parser.add_argument("--index", required=True, type=Path, help="the category's index (real images row)")
    parser.add_argument("--out", required=True, type=Path, help="PNG to write")
    parser.add_argument("--params-json", default="{}", help="the synthesis.sdas section (JSON)")
    parser.add_argument("--columns", type=int, default=8, help="samples per row")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")


def run(args: argparse.Namespace) -> None:
    """Sample at each strength from the same noise and draw the sheet."""
    from synthad.synthesis.ddpm import build_scheduler, load_unet  # deferred: imports diffusers
    from synthad.synthesis.sdas import sdas_sample

    cfg = load_sdas_config(args.params_json)
    torch.set_num_threads(args.threads)
    device = select_device(args.device)
    unet = load_unet(args.model / "unet", device)
    real, _ = load_train_images(args.index, cfg.image_size, limit=args.columns)
    images, titles = list(real), [f"real #{i}" for i in range(len(real))]
    for s in STRENGTHS:
        samples, _ = sdas_sample(unet, build_scheduler(cfg), args.columns, s, seed=args.seed,
                                 batch_size=args.columns, device=device, progress=False,
                                 steps=cfg.sampling_steps)
        images += list(samples)
        titles += [f"s = {s:g}"] * len(samples)
    heading = (f"SDAS on {args.index.parent.name}/{args.index.stem}: real images, then samples at "
               f"s = {', '.join(f'{s:g}' for s in STRENGTHS)}"
               f" ({cfg.image_size} px, {cfg.sampling_steps} steps)")
    save_image_grid(images, titles, args.out, columns=args.columns, heading=heading)
    print(f"wrote {args.out}")
