"""``synthad sdas-sheet``: what the anomaly strength does, on one sheet.

Rows: real training images of the category, then SDAS samples at ``s = 0`` (ordinary sampling:
should look like the category), ``s = 0.1`` and ``s = 0.2`` (RealNet's "weak" and "strong"). Each
column starts every row from the same initial noise and step noise, so a column shows one sample
under growing perturbation.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthad.data.loader import load_train_images
from synthad.stages.options import output_path
from synthad.stages.sdas_options import add_sampler_arguments, add_sdas_arguments, sampler_inputs, start_sdas
from synthad.utils.grid import save_image_grid

STRENGTHS = (0.0, 0.1, 0.2)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad sdas-sheet``."""
    add_sampler_arguments(parser)
    parser.add_argument("--index", required=True, type=Path, help="the category's index (real images row)")
    parser.add_argument("--out", required=True, type=output_path, help="PNG to write")
    parser.add_argument("--columns", type=int, default=8, help="samples per row")
    add_sdas_arguments(parser, seed=1)


def run(args: argparse.Namespace) -> None:
    """Sample at each strength from the same noise and draw the sheet."""
    from synthad.synthesis.ddpm import build_scheduler  # deferred: imports diffusers
    from synthad.synthesis.sdas import sdas_sample

    cfg, device = start_sdas(args)
    args.category = args.category or args.index.stem  # the index names the category
    unet, label, guide = sampler_inputs(args, cfg, device)
    real, _ = load_train_images(args.index, cfg.image_size, limit=args.columns)
    images, titles = list(real), [f"real #{i}" for i in range(len(real))]
    for s in STRENGTHS:
        samples, _ = sdas_sample(unet, build_scheduler(cfg), args.columns, s, seed=args.seed,
                                 batch_size=args.columns, device=device, progress=False,
                                 steps=cfg.sampling_steps, label=label, guide=guide)
        images += list(samples)
        titles += [f"s = {s:g}"] * len(samples)
    heading = (f"SDAS on {args.index.parent.name}/{args.index.stem}: real images, then samples at "
               f"s = {', '.join(f'{s:g}' for s in STRENGTHS)}"
               f" ({cfg.image_size} px, {cfg.sampling_steps} steps"
               f"{f', guidance {cfg.guidance_scale:g}' if guide is not None else ''})")
    save_image_grid(images, titles, args.out, columns=args.columns, heading=heading)
    print(f"wrote {args.out}")
