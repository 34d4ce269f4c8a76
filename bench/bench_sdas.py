"""Benchmark SDAS: sampling images/s and DDPM training-step time, written to bench/results/sdas.json.

Measures, with ``--threads`` torch threads, for the CPU demo configuration (``synthesis.sdas`` of
``params.yaml``) and, with ``--paper``, RealNet's paper configuration (256 px ADM-size U-Net;
meant for a GPU):

* SDAS sampling throughput: images per second of ``sdas_sample`` (``--steps`` respaced ancestral
  steps, strength ``U(0.1, 0.2)``) on ``--images`` images in batches of ``--batch``,
* seconds per DDPM training step (forward, hybrid loss, backward, Adam) at the configuration's batch,
* the training run time this implies for the configuration's ``train_steps``.

The U-Net is randomly initialised: speed does not depend on the weights.

Usage::

    python bench/bench_sdas.py --threads 1
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from timing import device_parser, median_seconds, print_row, rate_after_warmup, setup, write_results

from synthad.synthesis.ddpm import DiffusionTables, build_scheduler, build_unet, train_step
from synthad.synthesis.sdas import sdas_sample
from synthad.synthesis.sdas_config import SdasConfig


def sampling_rate(cfg: SdasConfig, args: argparse.Namespace, device: torch.device) -> float:
    """Throughput of :func:`sdas_sample` on ``args.images`` images (after a one-batch warm-up)."""
    unet = build_unet(cfg).to(device).eval()
    scheduler = build_scheduler(cfg)
    sample = dict(strength=(cfg.strength_min, cfg.strength_max), batch_size=args.batch, device=device,
                  progress=False, steps=args.steps, strength_batch=cfg.strength_batch)

    def warm_up():
        sdas_sample(unet, scheduler, min(args.batch, args.images), seed=0, **sample)

    def timed():
        sdas_sample(unet, scheduler, args.images, seed=1, **sample)

    return rate_after_warmup(warm_up, timed, args.images, device)


def train_step_seconds(cfg: SdasConfig, steps: int, device: torch.device) -> float:
    """Median seconds of one optimiser step (``cfg.batch_size`` images, micro-batches accumulated)."""
    torch.manual_seed(0)
    unet = build_unet(cfg).to(device).train()
    optimizer = torch.optim.Adam(unet.parameters(), lr=cfg.lr)
    scheduler = build_scheduler(cfg)
    tables = DiffusionTables(scheduler, device)
    data = torch.randint(0, 256, (64, 3, cfg.image_size, cfg.image_size), dtype=torch.uint8, device=device)
    labels = torch.zeros(len(data), dtype=torch.long, device=device)  # one class: unconditional
    rng = np.random.default_rng(0)

    def step():
        train_step(unet, optimizer, data, labels, rng, scheduler, tables, cfg)

    return median_seconds(step, steps, device)


def bench(name: str, cfg: SdasConfig, args: argparse.Namespace, device: torch.device) -> dict:
    """Sampling and training numbers of one configuration."""
    step = train_step_seconds(cfg, args.train_steps, device)
    row = {
        "config": name, "image_size": cfg.image_size, "block_out_channels": cfg.block_out_channels,
        "attention_resolutions": cfg.attention_resolutions, "layers_per_block": cfg.layers_per_block,
        "sampling_steps": args.steps, "sample_batch": args.batch,
        "sample_images_per_s": round(sampling_rate(cfg, args, device), 3),
        "train_batch_size": cfg.batch_size, "train_step_s": round(step, 4),
        "train_steps": cfg.train_steps, "train_run_s": round(step * cfg.train_steps, 1),
    }
    return print_row(row)


def demo_config(args: argparse.Namespace) -> SdasConfig:
    """The CPU demo setting: ``synthesis.sdas`` of ``--params`` over the paper defaults."""
    from synthad.config import build
    from synthad.stages.validate import load_params

    return build(SdasConfig, load_params(args.params).synthesis.sdas, "synthesis.sdas")


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    p = device_parser(__doc__, "sdas")
    p.add_argument("--steps", type=int, default=20, help="respaced sampling steps")
    p.add_argument("--images", type=int, default=16, help="images timed for the sampling throughput")
    p.add_argument("--batch", type=int, default=16, help="sampling batch")
    p.add_argument("--train-steps", type=int, default=3, help="timed training steps")
    p.add_argument("--params", type=Path, default=Path("params.yaml"),
                   help="demo setting: its synthesis.sdas")
    p.add_argument("--paper", action="store_true", help="also the paper configuration (GPU)")
    return p.parse_args()


def main() -> None:
    """Run the benchmark and write the JSON file."""
    args = parse_args()
    device = setup(args)
    rows = [bench("demo", demo_config(args), args, device)]
    if args.paper:
        rows.append(bench("paper", SdasConfig(), args, device))
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    write_results("sdas", args, rows, gpu=gpu)


if __name__ == "__main__":
    main()
