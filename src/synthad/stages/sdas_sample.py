"""``synthad sdas-sample``: sample a category's SDAS bank from its trained diffusion model.

Draws ``synthesis.sdas.n_samples`` images with RealNet's strength-controlled sampler (noise std
times ``sqrt(1 + s)`` at every reverse step, ``s ~ U(strength_min, strength_max)`` per batch of
``strength_batch``; :func:`synthad.synthesis.sdas.sdas_sample`) and writes them as an ``sdas`` bank
(:mod:`synthad.banks`) whose manifest records every image's strength, the seed and the model.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from synthad.banks import write_image_bank
from synthad.stages.sdas_options import add_sdas_arguments, start_sdas
from synthad.synthesis.sdas_config import SAMPLING_KEYS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad sdas-sample``."""
    parser.add_argument("--model", required=True, type=Path, help="folder written by `synthad sdas-train`")
    parser.add_argument("--out", required=True, type=Path,
                        help="bank folder, e.g. data/banks/sdas/demo/fabric")
    add_sdas_arguments(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> None:
    """Sample and write the bank (see the module docstring)."""
    from synthad.synthesis.ddpm import build_scheduler, load_unet  # deferred: imports diffusers
    from synthad.synthesis.sdas import sdas_sample

    cfg, device = start_sdas(args)
    unet = load_unet(args.model / "unet", device)
    images, strengths = sdas_sample(
        unet, build_scheduler(cfg), cfg.n_samples, (cfg.strength_min, cfg.strength_max), seed=args.seed,
        batch_size=cfg.sample_batch_size, device=device, progress=not args.no_progress,
        steps=cfg.sampling_steps, strength_batch=cfg.strength_batch)
    names = [f"sdas_{i:05d}" for i in range(len(images))]
    params = {k: v for k, v in asdict(cfg).items() if k in SAMPLING_KEYS + ("image_size",)} | {
        "model": str(args.model),
        "strengths": dict(zip(names, strengths.astype(float).round(5).tolist(), strict=True))}
    write_image_bank(args.out, zip(names, images, strict=True), "sdas", "sdas", params, args.seed)
    print(f"wrote {len(images)} SDAS samples (s in [{strengths.min():.3f}, {strengths.max():.3f}])"
          f" to {args.out}")

