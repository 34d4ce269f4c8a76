"""Benchmark NDP-Net: training-step time of both phases and inference throughput -> bench/results/ndpnet.json.

Measures, at ``--size`` (default 256) and ``--threads`` torch threads, for the paper configuration
(width 64, FFM 64 channels, batch 8, perceptual loss on a VGG16 -- random weights here, which cost the
same as ImageNet ones) and the CPU demo configuration (``--demo-*`` options):

* seconds per phase-1 step (encoder + decoder, ``L_rec + L_per + L_def_per``, backward, Adam),
* seconds per phase-2 step (frozen encoder, RBAM + decoder + MSDSM, Eq. 17, backward, Adam),
* inference images per second (``NdpNet.predict`` at batch ``eval_batch_size``, input ``--size``),
* the run time this implies for 80 training images and the configured epochs.

Usage::

    python bench/bench_ndpnet.py --size 256 --steps 2 --threads 1
"""

from __future__ import annotations

import argparse
import math

import torch
from timing import base_parser, images_per_second, median_seconds, print_row, setup, write_results

from synthad.methods.ndpnet import Config, NdpNet
from synthad.methods.ndpnet.loss import PerceptualLoss


def time_train_step(config: Config, phase: int, steps: int, device: torch.device) -> float:
    """Median seconds of one optimisation step of ``phase`` on random images and masks."""
    method = NdpNet(config, device)
    model = method.model
    if phase == 1:
        model.encoder_frozen = False
        for p in model.encoder.parameters():
            p.requires_grad_(True)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    perceptual = PerceptualLoss(config.perceptual_weights)
    loss_fn = method.phase1_loss if phase == 1 else method.phase2_loss
    s, b = config.image_size, config.batch_size
    normal, augmented = torch.rand(b, 3, s, s, device=device), torch.rand(b, 3, s, s, device=device)
    mask = (torch.rand(b, 1, s, s, device=device) > 0.9).float()

    def step():
        loss, _ = loss_fn(normal, augmented, mask, perceptual)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return median_seconds(step, steps, device)


def predict_rate(config: Config, size: int, n: int, device: torch.device) -> float:
    """Images/s of ``predict`` on ``n`` images of ``size`` x ``size``."""
    method = NdpNet(config, device)
    return images_per_second(method.predict, torch.rand(n, 3, size, size), config.eval_batch_size, device)


def bench(name: str, config: Config, args: argparse.Namespace, device: torch.device) -> dict:
    """Train-step and inference numbers of one configuration."""
    step1 = time_train_step(config, 1, args.steps, device)
    step2 = time_train_step(config, 2, args.steps, device)
    steps_per_epoch = math.ceil(args.n_train / config.batch_size)
    run = steps_per_epoch * (step1 * config.phase1_epochs + step2 * config.phase2_epochs)
    row = {
        "config": name, "image_size": config.image_size, "base_width": config.base_width,
        "ffm_channels": config.ffm_channels, "dsm_width": config.dsm_width, "batch_size": config.batch_size,
        "perceptual_weights": config.perceptual_weights,
        "phase1_step_s": round(step1, 4), "phase2_step_s": round(step2, 4),
        "phase1_epochs": config.phase1_epochs, "phase2_epochs": config.phase2_epochs,
        "run_s_for_n_train": round(run, 1),
        "infer_images_per_s": round(predict_rate(config, args.size, args.infer_images, device), 2),
        "infer_input_size": args.size,
    }
    return print_row(row)


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    p = base_parser(__doc__, "ndpnet", steps=2, infer_images=16,
                    steps_help="timed training steps per phase and configuration",
                    n_train_help="training images (for the implied run time)")
    p.add_argument("--demo-size", type=int, default=64)
    p.add_argument("--demo-width", type=int, default=16)
    p.add_argument("--demo-phase1", type=int, default=15)
    p.add_argument("--demo-phase2", type=int, default=15)
    p.add_argument("--demo-perceptual", default="none", choices=["imagenet", "random", "none"])
    return p.parse_args()


def main() -> None:
    """Run the benchmark and write the JSON file."""
    args = parse_args()
    device = setup(args)
    rows = []
    if not args.skip_paper:
        rows.append(bench("paper", Config(image_size=args.size, perceptual_weights="random"), args, device))
    w = args.demo_width
    demo = Config(image_size=args.demo_size, base_width=w, ffm_channels=w, dsm_width=w,
                  phase1_epochs=args.demo_phase1, phase2_epochs=args.demo_phase2,
                  perceptual_weights=args.demo_perceptual)
    rows.append(bench("demo", demo, args, device))
    write_results("ndpnet", args, rows)


if __name__ == "__main__":
    main()
