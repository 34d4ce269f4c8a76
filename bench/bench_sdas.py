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
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from synthad.synthesis.ddpm import DiffusionTables, build_scheduler, build_unet, train_step
from synthad.synthesis.sdas import SdasConfig, sdas_sample
from synthad.utils.io import write_json


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def images_per_second(cfg: SdasConfig, args: argparse.Namespace, device: torch.device) -> float:
    """Throughput of :func:`sdas_sample` on ``args.images`` images (after a one-batch warm-up)."""
    unet = build_unet(cfg).to(device).eval()
    scheduler = build_scheduler(cfg)
    sample = dict(strength=(cfg.strength_min, cfg.strength_max), batch_size=args.batch, device=device,
                  progress=False, steps=args.steps, strength_batch=cfg.strength_batch)
    sdas_sample(unet, scheduler, min(args.batch, args.images), seed=0, **sample)
    _sync(device)
    start = time.perf_counter()
    sdas_sample(unet, scheduler, args.images, seed=1, **sample)
    _sync(device)
    return args.images / (time.perf_counter() - start)


def train_step_seconds(cfg: SdasConfig, steps: int, device: torch.device) -> float:
    """Median seconds of one optimiser step (``cfg.batch_size`` images, micro-batches accumulated)."""
    torch.manual_seed(0)
    unet = build_unet(cfg).to(device).train()
    optimizer = torch.optim.Adam(unet.parameters(), lr=cfg.lr)
    scheduler = build_scheduler(cfg)
    tables = DiffusionTables(scheduler, device)
    data = torch.randint(0, 256, (64, 3, cfg.image_size, cfg.image_size), dtype=torch.uint8, device=device)
    rng, times = np.random.default_rng(0), []
    for i in range(steps + 1):  # the first step warms up allocators and is dropped
        start = time.perf_counter()
        train_step(unet, optimizer, data, rng, scheduler, tables, cfg)
        _sync(device)
        if i:
            times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def bench(name: str, cfg: SdasConfig, args: argparse.Namespace, device: torch.device) -> dict:
    """Sampling and training numbers of one configuration."""
    step = train_step_seconds(cfg, args.train_steps, device)
    row = {
        "config": name, "image_size": cfg.image_size, "block_out_channels": cfg.block_out_channels,
        "attention_resolutions": cfg.attention_resolutions, "layers_per_block": cfg.layers_per_block,
        "sampling_steps": args.steps, "sample_batch": args.batch,
        "sample_images_per_s": round(images_per_second(cfg, args, device), 3),
        "train_batch_size": cfg.batch_size, "train_step_s": round(step, 4),
        "train_steps": cfg.train_steps, "train_run_s": round(step * cfg.train_steps, 1),
    }
    print(json.dumps(row))
    return row


def demo_config(args: argparse.Namespace) -> SdasConfig:
    """The CPU demo setting: ``synthesis.sdas`` of ``--params`` over the paper defaults."""
    from synthad.config import build, load_params

    return build(SdasConfig, load_params(args.params).synthesis.sdas, "synthesis.sdas")


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--device", default="cpu")
    p.add_argument("--steps", type=int, default=20, help="respaced sampling steps")
    p.add_argument("--images", type=int, default=16, help="images timed for the sampling throughput")
    p.add_argument("--batch", type=int, default=16, help="sampling batch")
    p.add_argument("--train-steps", type=int, default=3, help="timed training steps")
    p.add_argument("--params", type=Path, default=Path("params.yaml"),
                   help="demo setting: its synthesis.sdas")
    p.add_argument("--paper", action="store_true", help="also the paper configuration (GPU)")
    p.add_argument("--out", type=Path, default=Path("bench/results/sdas.json"))
    return p.parse_args()


def main() -> None:
    """Run the benchmark and write the JSON file."""
    args = parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    rows = [bench("demo", demo_config(args), args, device)]
    if args.paper:
        rows.append(bench("paper", SdasConfig(), args, device))
    write_json(args.out, {
        "method": "sdas", "device": str(device), "threads": args.threads, "torch": torch.__version__,
        "machine": platform.processor() or platform.machine(),
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None, "results": rows,
    })
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
