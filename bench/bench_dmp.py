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
import math

import torch
from timing import base_parser, images_per_second, median_seconds, print_row, setup, write_results

from synthad.methods.dmp import Config, Dmp
from synthad.methods.dmp.loss import DmpLoss


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

    def step():
        loss, _ = method.training_loss(normal, augmented, mask, criterion)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return median_seconds(step, steps, device)


def predict_rate(config: Config, size: int, n: int, device: torch.device, merged: bool = True) -> float:
    """Images/s of ``predict`` on ``n`` images of ``size`` x ``size`` (large kernels merged or not)."""
    method = Dmp(config, device)
    if not merged:
        method._inference = method.model.eval()  # the train-time network, both branches
    # The warm-up batch also merges the large kernels, so the merge is not timed.
    return images_per_second(method.predict, torch.rand(n, 3, size, size), config.eval_batch_size, device)


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
        "infer_images_per_s": round(predict_rate(config, args.size, args.infer_images, device), 3),
    }
    if unmerged:
        row["infer_images_per_s_unmerged"] = round(
            predict_rate(config, args.size, args.infer_images, device, merged=False), 3)
    return print_row(row)


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    p = base_parser(__doc__, "dmp", steps=1, infer_images=8)
    p.add_argument("--demo-size", type=int, default=64)
    p.add_argument("--demo-rec", type=int, default=16)
    p.add_argument("--demo-channels", default="16,32,64,128")
    p.add_argument("--demo-kernels", default="9,7,7,3")
    p.add_argument("--demo-small-kernel", type=int, default=3)
    p.add_argument("--demo-epochs", type=int, default=30)
    return p.parse_args()


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",")]


def main() -> None:
    """Run the benchmark and write the JSON file."""
    args = parse_args()
    device = setup(args)
    rows = []
    if not args.skip_paper:
        paper = Config(image_size=args.size, eval_batch_size=4)
        rows.append(bench("paper", paper, args, device, unmerged=True))
    channels = _ints(args.demo_channels)
    demo = Config(image_size=args.demo_size, rec_base_width=args.demo_rec, lk_channels=channels,
                  lk_layers=[1] * len(channels), lk_kernels=_ints(args.demo_kernels),
                  small_kernel=args.demo_small_kernel, epochs=args.demo_epochs, lr=1e-3)
    rows.append(bench("demo", demo, args, device, unmerged=False))
    write_results("dmp", args, rows)


if __name__ == "__main__":
    main()
