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

import torch
from timing import base_parser, images_per_second, median_seconds, print_row, setup, write_results

from synthad.methods.imm_alm import Config, ImmAlm
from synthad.methods.imm_alm.loss import mapping_loss, registration_loss


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

    return median_seconds(step, steps, device)


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

    return median_seconds(step, steps, device)


def predict_rate(method: ImmAlm, size: int, n: int, device: torch.device) -> float:
    """Images/s of ``predict`` on ``n`` random images of ``size`` x ``size``."""
    images = torch.rand(n, 3, size, size)
    return images_per_second(method.predict, images, method.config.eval_batch_size, device)


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
        "infer_images_per_s": round(predict_rate(method, args.size, args.infer_images, device), 2),
    }
    return print_row(row)


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    p = base_parser(__doc__, "imm_alm", steps=2, infer_images=16, size_help="inference input size",
                    steps_help="timed training steps per phase and configuration",
                    n_train_help="training images (for the implied run time)")
    p.add_argument("--demo-json", default=json.dumps(DEMO), help="the demo Config as JSON")
    return p.parse_args()


# The recommended CPU demo setting (README.md, "CPU demo budget").
DEMO = {"image_size": 64, "backbone_weights": "random", "imm_epochs": 100, "imm_batch_size": 16,
        "imm_widths": [16, 32, 32], "imm_hidden": 64, "imm_lr": 1e-3, "alm_epochs": 60, "batch_size": 16,
        "feature_dim": 64, "mapping_widths": [64, 64], "balanced_loss": True}


def main() -> None:
    """Run the benchmark and write the JSON file."""
    args = parse_args()
    device = setup(args)
    rows = []
    if not args.skip_paper:
        rows.append(bench("paper", Config(backbone_weights="random"), args, device))
    rows.append(bench("demo", Config(**json.loads(args.demo_json)), args, device))
    write_results("imm_alm", args, rows)


if __name__ == "__main__":
    main()
