"""``synthad sdas-sample``: sample a category's SDAS bank from its data set's diffusion model.

Draws ``synthesis.sdas.n_samples`` images of ``--category`` (its class label) with RealNet's
strength-controlled sampler (noise std times ``sqrt(1 + s)`` at every reverse step,
``s ~ U(strength_min, strength_max)`` per batch of ``strength_batch``, classifier guidance with
``--classifier`` at ``guidance_scale``; :func:`synthad.synthesis.sdas.sdas_sample`) and writes them
as an ``sdas`` bank (:mod:`synthad.banks`) whose manifest records every image's strength, the seed,
the model, the category and the classifier.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict

from synthad.banks import write_image_bank
from synthad.stages.options import output_path
from synthad.stages.sdas_options import add_sampler_arguments, add_sdas_arguments, sampler_inputs, start_sdas
from synthad.synthesis.sdas_config import SAMPLING_KEYS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad sdas-sample``."""
    add_sampler_arguments(parser)
    parser.add_argument("--out", required=True, type=output_path,
                        help="bank folder, e.g. data/banks/sdas/demo/fabric")
    add_sdas_arguments(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> None:
    """Sample and write the bank (see the module docstring)."""
    from synthad.synthesis.ddpm import build_scheduler  # deferred: imports diffusers
    from synthad.synthesis.sdas import sdas_sample

    cfg, device = start_sdas(args)
    unet, label, guide = sampler_inputs(args, cfg, device)
    images, strengths = sdas_sample(
        unet, build_scheduler(cfg), cfg.n_samples, (cfg.strength_min, cfg.strength_max), seed=args.seed,
        batch_size=cfg.sample_batch_size, device=device, progress=not args.no_progress,
        steps=cfg.sampling_steps, strength_batch=cfg.strength_batch, label=label, guide=guide)
    names = [f"sdas_{i:05d}" for i in range(len(images))]
    params = {k: v for k, v in asdict(cfg).items() if k in SAMPLING_KEYS + ("image_size",)} | {
        "model": str(args.model), "category": args.category, "label": label,
        "classifier": str(args.classifier) if guide is not None else None,
        "strengths": dict(zip(names, strengths.astype(float).round(5).tolist(), strict=True))}
    write_image_bank(args.out, zip(names, images, strict=True), "sdas", "sdas", params, args.seed)
    print(f"wrote {len(images)} SDAS samples (s in [{strengths.min():.3f}, {strengths.max():.3f}])"
          f" to {args.out}")

