"""Benchmark SLSG: GPT-Net and SegNet step times and inference throughput, to bench/results/slsg.json.

Measures, at ``--threads`` torch threads, for the paper configuration (256 px, ResNet18, decoder
256/128/64/64, GPT-Net batch 6, SegNet batch 4 + 4) and the CPU demo configuration (``--demo-*``):

* seconds per GPT-Net step (masking, generator and D-Net forward/backward, both Adam updates),
* seconds per SegNet step (forward, Eq. 11, backward, SGD) on random images and masks,
* inference images per second (``Slsg.predict`` at batch ``--eval-batch`` on ``--size`` images),
* the pre-training and training time this implies for 80 training images.

Usage::

    python bench/bench_slsg.py --size 256 --steps 2 --threads 1
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np
import torch
from timing import base_parser, images_per_second, median_seconds, print_row, setup, write_results

from synthad.methods.slsg import Config, Slsg
from synthad.methods.slsg.gptnet import GptNet, PatchDiscriminator
from synthad.methods.slsg.loss import discriminator_loss, gptnet_loss, segnet_loss
from synthad.methods.slsg.masking import apply_mask, gptnet_masks
from synthad.nn.backbones import imagenet_normalize


def time_gptnet_step(cfg: Config, steps: int, device: torch.device) -> float:
    """Seconds of one GPT-Net + D-Net step at ``cfg.pretrain_batch_size``."""
    gen, disc = GptNet("random", cfg.decoder_widths).to(device), PatchDiscriminator(cfg.disc_width).to(device)
    opt_g, opt_d = torch.optim.Adam(gen.parameters()), torch.optim.Adam(disc.parameters())
    s, rng = cfg.image_size, np.random.default_rng(0)
    image = torch.rand(cfg.pretrain_batch_size, 3, s, s, device=device)

    def step():
        mask = gptnet_masks(len(image), s, cfg.grid_cells, cfg.grid_ratio, cfg.large_mask_range(), rng)
        rec, aux = gen(apply_mask(imagenet_normalize(image), mask.to(device)))
        d_loss = discriminator_loss(disc(image), disc(rec.detach()))
        opt_d.zero_grad(), d_loss.backward(), opt_d.step()
        g_loss, _ = gptnet_loss(rec, aux, image, disc(rec), (1.0, 0.8, 1.0))
        opt_g.zero_grad(), g_loss.backward(), opt_g.step()

    return median_seconds(step, steps, device)


def time_segnet_step(cfg: Config, steps: int, device: torch.device) -> float:
    """Seconds of one SegNet step on ``normal_per_batch + anomalous_per_batch`` images."""
    model = Slsg(cfg, device).model.train()
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=cfg.lr, momentum=0.9)
    n, s = cfg.normal_per_batch + cfg.anomalous_per_batch, cfg.image_size
    image = torch.rand(n, 3, s, s, device=device)
    mask = (torch.rand(n, 1, s, s, device=device) > 0.9).float()

    def step():
        logits, aux = model(image)
        loss, _ = segnet_loss(logits, aux, mask, cfg.focal_gamma, (0.4, 0.6, 0.3))
        optimizer.zero_grad(), loss.backward(), optimizer.step()

    return median_seconds(step, steps, device)


def predict_rate(cfg: Config, size: int, n: int, device: torch.device) -> float:
    """Images/s of ``predict`` on ``n`` images of ``size`` x ``size``."""
    method = Slsg(cfg, device)
    return images_per_second(method.predict, torch.rand(n, 3, size, size), cfg.eval_batch_size, device)


def bench(name: str, cfg: Config, args: argparse.Namespace, device: torch.device) -> dict:
    """GPT-Net, SegNet and inference numbers of one configuration."""
    gpt = time_gptnet_step(cfg, args.steps, device)
    seg = time_segnet_step(cfg, args.steps, device)
    pretrain = math.ceil(args.n_train / cfg.pretrain_batch_size) * gpt * cfg.pretrain_epochs
    row = {
        "config": name, "image_size": cfg.image_size, "decoder_widths": cfg.decoder_widths,
        "disc_width": cfg.disc_width, "gptnet_batch": cfg.pretrain_batch_size,
        "segnet_batch": cfg.normal_per_batch + cfg.anomalous_per_batch,
        "gptnet_step_s": round(gpt, 4), "segnet_step_s": round(seg, 4),
        "pretrain_s_for_n_train": round(pretrain, 1), "pretrain_epochs": cfg.pretrain_epochs,
        "segnet_s_for_steps": round(seg * cfg.steps, 1), "steps": cfg.steps,
        "infer_images_per_s": round(predict_rate(cfg, args.size, args.infer_images, device), 2),
    }
    return print_row(row)


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    p = base_parser(__doc__, "slsg", steps=2, infer_images=16,
                    steps_help="timed steps per network and configuration",
                    n_train_help="training images (implied pre-training time)")
    p.add_argument("--demo-json", default=json.dumps(DEMO), help="the demo configuration (JSON)")
    return p.parse_args()


# The CPU demo setting recommended in methods/slsg/README.md.
DEMO = {"image_size": 64, "decoder_widths": [64, 32, 16, 16], "disc_width": 16, "skip_channels": 16,
        "pretrain_epochs": 5, "steps": 200, "freeze_encoder": False}


def main() -> None:
    """Run the benchmark and write the JSON file."""
    args = parse_args()
    device = setup(args)
    torch.manual_seed(0)
    rows = []
    if not args.skip_paper:
        rows.append(bench("paper", Config(image_size=args.size, backbone_weights="random"), args, device))
    demo = Config(backbone_weights="random", **json.loads(args.demo_json))
    rows.append(bench("demo", demo, args, device))
    write_results("slsg", args, rows)


if __name__ == "__main__":
    main()
