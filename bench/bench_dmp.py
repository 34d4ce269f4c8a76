"""Benchmark DMP: training-step time and inference throughput, written to bench/results/dmp.json.

Measures, at ``--size`` (default 256) and ``--threads`` torch threads, for the paper configuration
(autoencoder width 128, RepLKNet-31B-style U-Net, batch 8) and the CPU demo configuration
(``--demo-*`` options):

* seconds per training step (copy encoder -> extractor, forward, Eq. 9 loss, backward, Adam, on
  random images and masks),
* inference images per second (``Dmp.predict`` with the merged large kernels, at batch
  ``--eval-batch``), and for the paper configuration also without merging,
* the epoch and run time this implies for ``--n-train`` training images.

Usage::

    python bench/bench_dmp.py --size 256 --steps 1 --threads 1
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from pathlib import Path

import torch

from synthad.methods.dmp import Config, Dmp
from synthad.methods.dmp.loss import DmpLoss
from synthad.utils.io import write_json


def time_train_step(config: Config, steps: int, device: torch.device) -> float:
    """Median seconds of one optimisation step at ``config.image_size`` and ``config.batch_size``."""
    method = Dmp(config, device)
    model = method.model.train()
    if model.extractor is not None and config.copy_params:
        model.extractor.freeze()
    criterion = DmpLoss(config.lambda1, config.lambda2, config.lambda3, config.focal_gamma)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=config.lr)
    s, b = config.image_size, config.batch_size
    normal, augmented = torch.rand(b, 3, s, s, device=device), torch.rand(b, 3, s, s, device=device)
    mask = (torch.rand(b, 1, s, s, device=device) > 0.9).float()
    times = []
    for i in range(steps + 1):  # the first step warms up allocators and is dropped
        start = time.perf_counter()
        loss, _ = method.training_loss(normal, augmented, mask, criterion)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if i:
            times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def images_per_second(config: Config, size: int, n: int, device: torch.device, merged: bool = True) -> float:
    """Throughput of ``predict`` on ``n`` images of ``size`` x ``size`` (large kernels merged or not)."""
    method = Dmp(config, device)
    if not merged:
        method._inference = method.model.eval()  # the train-time network, both branches
    images = torch.rand(n, 3, size, size)
    method.predict(images[: config.eval_batch_size])  # warm-up (and the merge)
    start = time.perf_counter()
    method.predict(images)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return n / (time.perf_counter() - start)


def bench(name: str, config: Config, args: argparse.Namespace, device: torch.device, unmerged: bool) -> dict:
    """Train-step and inference numbers of one configuration."""
    step = time_train_step(config, args.steps, device)
    epoch = math.ceil(args.n_train / config.batch_size) * step
    row = {
        "config": name, "image_size": config.image_size, "rec_base_width": config.rec_base_width,
        "lk_channels": config.lk_channels, "lk_layers": config.lk_layers, "lk_kernels": config.lk_kernels,
        "batch_size": config.batch_size, "train_step_s": round(step, 4),
        "epoch_s_for_n_train": round(epoch, 2), "run_s_for_epochs": round(epoch * config.epochs, 1),
        "epochs": config.epochs,
        "infer_images_per_s": round(images_per_second(config, args.size, args.infer_images, device), 3),
    }
    if unmerged:
        row["infer_images_per_s_unmerged"] = round(
            images_per_second(config, args.size, args.infer_images, device, merged=False), 3)
    print(json.dumps(row))
    return row


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=256, help="paper-config resolution and inference input size")
    p.add_argument("--steps", type=int, default=1, help="timed training steps per configuration")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--device", default="cpu")
    p.add_argument("--n-train", type=int, default=80, help="training images (for the implied epoch time)")
    p.add_argument("--infer-images", type=int, default=8)
    p.add_argument("--demo-size", type=int, default=64)
    p.add_argument("--demo-rec", type=int, default=16)
    p.add_argument("--demo-channels", default="16,32,64,128")
    p.add_argument("--demo-kernels", default="9,7,7,3")
    p.add_argument("--demo-small-kernel", type=int, default=3)
    p.add_argument("--demo-epochs", type=int, default=30)
    p.add_argument("--skip-paper", action="store_true", help="only the demo configuration")
    p.add_argument("--out", type=Path, default=Path("bench/results/dmp.json"))
    return p.parse_args()


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",")]


def main() -> None:
    """Run the benchmark and write the JSON file."""
    args = parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    rows = []
    if not args.skip_paper:
        paper = Config(image_size=args.size, eval_batch_size=4)
        rows.append(bench("paper", paper, args, device, unmerged=True))
    channels = _ints(args.demo_channels)
    demo = Config(image_size=args.demo_size, rec_base_width=args.demo_rec, lk_channels=channels,
                  lk_layers=[1] * len(channels), lk_kernels=_ints(args.demo_kernels),
                  small_kernel=args.demo_small_kernel, epochs=args.demo_epochs, lr=1e-3)
    rows.append(bench("demo", demo, args, device, unmerged=False))
    write_json(args.out, {
        "method": "dmp", "device": str(device), "threads": args.threads, "torch": torch.__version__,
        "machine": platform.processor() or platform.machine(), "results": rows,
    })
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
