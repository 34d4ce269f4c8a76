"""Benchmark DRAEM: training-step time and inference throughput, written to bench/results/draem.json.

Measures, at ``--size`` (default 256) and ``--threads`` torch threads, for the paper configuration
(widths 128/64, batch 8) and the CPU demo configuration (``--demo-*`` options):

* seconds per training step (forward + loss + backward + Adam, on random images and masks),
* inference images per second (``Draem.predict`` at batch ``--eval-batch``),
* the epoch and run time this implies for 80 training images.

Usage::

    python bench/bench_draem.py --size 256 --steps 3 --threads 1
"""

from __future__ import annotations

import argparse
import math

import torch
from timing import base_parser, images_per_second, median_seconds, print_row, setup, write_results

from synthad.methods.draem import Config, Draem
from synthad.methods.draem.loss import DraemLoss


def time_train_step(config: Config, steps: int, device: torch.device) -> float:
    """Median seconds of one optimisation step at ``config.image_size`` and ``config.batch_size``."""
    method = Draem(config, device)
    model, criterion = method.model.train(), DraemLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    s = config.image_size
    x = torch.rand(config.batch_size, 3, s, s, device=device)
    mask = (torch.rand(config.batch_size, 1, s, s, device=device) > 0.9).float()

    def step():
        rec, logits = model(x)
        loss, _ = criterion(rec, x, logits, mask)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return median_seconds(step, steps, device)


def predict_rate(config: Config, size: int, n: int, device: torch.device) -> float:
    """Images/s of ``predict`` on ``n`` images of ``size`` x ``size``."""
    method = Draem(config, device)
    return images_per_second(method.predict, torch.rand(n, 3, size, size), config.eval_batch_size, device)


def bench(name: str, config: Config, args: argparse.Namespace, device: torch.device) -> dict:
    """Train-step and inference numbers of one configuration."""
    step = time_train_step(config, args.steps, device)
    epoch = math.ceil(args.n_train / config.batch_size) * step
    row = {
        "config": name, "image_size": config.image_size, "rec_base_width": config.rec_base_width,
        "disc_base_width": config.disc_base_width, "batch_size": config.batch_size,
        "train_step_s": round(step, 4), "epoch_s_for_n_train": round(epoch, 2),
        "run_s_for_epochs": round(epoch * config.epochs, 1), "epochs": config.epochs,
        "infer_images_per_s": round(predict_rate(config, args.size, args.infer_images, device), 2),
    }
    return print_row(row)


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    p = base_parser(__doc__, "draem", steps=3, infer_images=16)
    p.add_argument("--demo-size", type=int, default=64)
    p.add_argument("--demo-rec", type=int, default=16)
    p.add_argument("--demo-disc", type=int, default=8)
    p.add_argument("--demo-epochs", type=int, default=60)
    return p.parse_args()


def main() -> None:
    """Run the benchmark and write the JSON file."""
    args = parse_args()
    device = setup(args)
    rows = []
    if not args.skip_paper:
        rows.append(bench("paper", Config(image_size=args.size), args, device))
    demo = Config(image_size=args.demo_size, rec_base_width=args.demo_rec, disc_base_width=args.demo_disc,
                  epochs=args.demo_epochs)
    rows.append(bench("demo", demo, args, device))
    write_results("draem", args, rows)


if __name__ == "__main__":
    main()
