"""Benchmark IMM + ALM: both phases' step times and inference throughput, to bench/results/imm_alm.json.

Configurations (ResNet18 with random weights: speed does not depend on them):

* ``paper``: the paper's ``Config()`` (256 px, batch 32 for both phases);
* ``demo``: the CPU demo setting (``--demo-json``).

Per configuration: seconds per IMM step (``N_P`` / ``N_R``, warp, Eq. 1, backward, Adam), seconds per
ALM step (frozen ResNet18 stages 1-3, ``N_M``, Eq. 5, backward, Adam), the run time this implies for
``--n-train`` images, and ``ImmAlm.predict`` images/s on ``--size`` x ``--size`` inputs (alignment,
ALM, warp back). The paper reports 27 ms per image on one RTX TITAN (Table 5).

Usage::

    python bench/bench_imm_alm.py --threads 1 --steps 2
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from pathlib import Path

import torch

from synthad.methods.imm_alm import Config, ImmAlm
from synthad.methods.imm_alm.loss import mapping_loss, registration_loss
from synthad.utils.io import write_json


def _median_step(step, steps: int, device: torch.device) -> float:
    """Median seconds of ``step()`` over ``steps`` calls after one warm-up call."""
    times = []
    for i in range(steps + 1):
        start = time.perf_counter()
        step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if i:
            times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def time_imm_step(method: ImmAlm, steps: int, device: torch.device) -> float:
    """Seconds of one IMM optimisation step at ``imm_batch_size``."""
    cfg, matcher = method.config, method.model.matcher.train()
    optimizer = torch.optim.Adam(matcher.parameters(), lr=cfg.imm_lr)
    x = torch.rand(cfg.imm_batch_size, 3, cfg.image_size, cfg.image_size, device=device)
    template = x[0]

    def step():
        aligned, _ = matcher(x, template)
        loss = registration_loss(aligned, template)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return _median_step(step, steps, device)


def time_alm_step(method: ImmAlm, steps: int, device: torch.device) -> float:
    """Seconds of one ALM optimisation step at ``batch_size`` (Eq. 5 on random masks)."""
    cfg, model = method.config, method.model
    model.mapping.train()
    optimizer = torch.optim.Adam(model.mapping.parameters(), lr=cfg.lr)
    x = torch.rand(cfg.batch_size, 3, cfg.image_size, cfg.image_size, device=device)
    side = cfg.image_size // cfg.feature_stride
    defect = (torch.rand(cfg.batch_size, side, side, device=device) > 0.95).float()
    center = torch.randn_like(model.center)

    def step():
        loss, _ = mapping_loss(model.embed(x), center, defect, cfg.margin, cfg.balanced_loss)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return _median_step(step, steps, device)


def images_per_second(method: ImmAlm, size: int, n: int, device: torch.device) -> float:
    """Throughput of ``predict`` on ``n`` random images of ``size`` x ``size``."""
    images = torch.rand(n, 3, size, size)
    method.predict(images[: min(n, method.config.eval_batch_size)])  # warm-up
    start = time.perf_counter()
    method.predict(images)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return n / (time.perf_counter() - start)


def bench(name: str, config: Config, args: argparse.Namespace, device: torch.device) -> dict:
    """Both phases' step times, implied run time and inference throughput of one configuration."""
    method = ImmAlm(config, device)
    imm = time_imm_step(method, args.steps, device) if config.imm else 0.0
    alm = time_alm_step(method, args.steps, device)
    imm_run = math.ceil(args.n_train / config.imm_batch_size) * config.imm_epochs * imm if config.imm else 0.0
    alm_run = math.ceil(args.n_train / config.batch_size) * config.alm_epochs * alm
    row = {
        "config": name, "image_size": config.image_size, "imm": config.imm,
        "imm_batch_size": config.imm_batch_size, "batch_size": config.batch_size,
        "feature_dim": config.feature_dim, "mapping_widths": config.mapping_widths,
        "imm_epochs": config.imm_epochs, "alm_epochs": config.alm_epochs,
        "imm_step_s": round(imm, 4), "alm_step_s": round(alm, 4),
        "run_s_for_n_train": round(imm_run + alm_run, 1), "n_train": args.n_train,
        "infer_size": args.size,
        "infer_images_per_s": round(images_per_second(method, args.size, args.infer_images, device), 2),
    }
    print(json.dumps(row), flush=True)
    return row


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=256, help="inference input size")
    p.add_argument("--steps", type=int, default=2, help="timed training steps per phase and configuration")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--device", default="cpu")
    p.add_argument("--n-train", type=int, default=80, help="training images (for the implied run time)")
    p.add_argument("--infer-images", type=int, default=16)
    p.add_argument("--demo-json", default=json.dumps(DEMO), help="the demo Config as JSON")
    p.add_argument("--skip-paper", action="store_true", help="only the demo configuration")
    p.add_argument("--out", type=Path, default=Path("bench/results/imm_alm.json"))
    return p.parse_args()


# The recommended CPU demo setting (README.md, "CPU demo budget").
DEMO = {"image_size": 64, "backbone_weights": "random", "imm_epochs": 100, "imm_batch_size": 16,
        "imm_widths": [16, 32, 32], "imm_hidden": 64, "imm_lr": 1e-3, "alm_epochs": 60, "batch_size": 16,
        "feature_dim": 64, "mapping_widths": [64, 64], "balanced_loss": True}


def main() -> None:
    """Run the benchmark and write the JSON file."""
    args = parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    rows = []
    if not args.skip_paper:
        rows.append(bench("paper", Config(backbone_weights="random"), args, device))
    rows.append(bench("demo", Config(**json.loads(args.demo_json)), args, device))
    write_json(args.out, {
        "method": "imm_alm", "device": str(device), "threads": args.threads, "torch": torch.__version__,
        "machine": platform.processor() or platform.machine(), "results": rows,
    })
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
