"""Benchmark RealNet: training-step time, inference throughput and peak memory, to bench/results/realnet.json.

Configurations (WRN50 backbone, random weights: speed does not depend on them):

* ``paper``: 256 px, AFS dims {256, 512, 512, 256}, batch 16 (``--paper-batch``);
* ``paper_small``: the same with dims {128, 256, 256, 128} (the paper's 0.74 GB model);
* ``demo``: the CPU demo setting (``--demo-*`` options).

Per configuration: seconds per optimisation step (backbone on the batch, the four U-Nets, RRS, head,
CE + feature MSE, backward, Adam; clean targets precomputed, as the training loop caches them),
``RealNet.predict`` images/s on ``--size`` x ``--size`` inputs, and peak memory (CUDA: max
allocated; CPU: the max resident set of a fresh child process that runs only that configuration).
The paper reports 31.93 FPS (dims {256,512,512,256}) and 40.42 FPS ({128,256,256,128}) on one RTX 3090.

Usage::

    python bench/bench_realnet.py --threads 1 --steps 1
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource

import torch
import torch.nn.functional as F
from timing import base_parser, images_per_second, median_seconds, print_row, setup, write_results

from synthad.methods.realnet import Config, RealNet


def time_train_step(method: RealNet, steps: int, device: torch.device) -> float:
    """Median seconds of one optimisation step at the config's size and batch (first step dropped)."""
    cfg, model = method.config, method.model.train()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    s, b = cfg.image_size, cfg.batch_size
    x = torch.rand(b, 3, s, s, device=device)
    mask = (torch.rand(b, 1, s, s, device=device) > 0.9).float()
    targets = [f + 0.1 for f in model.features(x)]

    def step():
        logits, recons = model(x)
        loss = F.cross_entropy(logits, mask[:, 0].long()) + sum(
            F.mse_loss(r, t) for r, t in zip(recons, targets, strict=True))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return median_seconds(step, steps, device)


def bench_one(name: str, config: Config, args: argparse.Namespace) -> dict:
    """Train-step and inference numbers of one configuration (run in its own process on CPU)."""
    device = setup(args)  # here, not in main: on CPU this runs in a fresh process
    method = RealNet(config, device)
    trainable = sum(p.numel() for p in method.model.parameters() if p.requires_grad)
    step = time_train_step(method, args.steps, device)
    images = torch.rand(args.infer_images, 3, args.size, args.size)
    fps = images_per_second(method.predict, images, method.config.eval_batch_size, device)
    peak = (torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda"
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return {
        "config": name, "image_size": config.image_size, "layers": config.layers,
        "feature_dims": config.feature_dims, "batch_size": config.batch_size,
        "trainable_params_M": round(trainable / 1e6, 2), "train_step_s": round(step, 3),
        "infer_size": args.size, "infer_images_per_s": round(fps, 3), "peak_memory_mb": round(peak, 1),
    }


def _child(queue, name, config, args):
    queue.put(bench_one(name, config, args))


def run(name: str, config: Config, args: argparse.Namespace) -> dict:
    """``bench_one`` in a fresh process, so the CPU peak RSS is this configuration's alone."""
    if args.device != "cpu":
        row = bench_one(name, config, args)
    else:
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        proc = ctx.Process(target=_child, args=(queue, name, config, args))
        proc.start()
        row = queue.get()
        proc.join()
    return print_row(row)


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    p = base_parser(__doc__, "realnet", steps=1, infer_images=4, n_train_help=None,
                    size_help="inference input size (and the paper configs' size)")
    p.add_argument("--paper-batch", type=int, default=16)
    p.add_argument("--demo-json", default='{"image_size": 64, "layers": [1, 2], "feature_dims": [64, 64],'
                   ' "head_widths": [64, 32, 16, 8], "head_channels": 32, "batch_size": 8}',
                   help="Config overrides of the demo setting (JSON)")
    return p.parse_args()


def main() -> None:
    """Run the benchmark and write the JSON file."""
    args = parse_args()
    common = {"backbone_weights": "random"}
    configs = [("demo", Config(**common, **json.loads(args.demo_json)))]
    if not args.skip_paper:
        paper = dict(common, image_size=args.size, batch_size=args.paper_batch)
        configs = [("paper", Config(**paper)),
                   ("paper_small", Config(**paper, feature_dims=[128, 256, 256, 128])), *configs]
    rows = [run(name, cfg, args) for name, cfg in configs]
    write_results("realnet", args, rows, paper_fps_rtx3090={"paper": 31.93, "paper_small": 40.42})


if __name__ == "__main__":
    main()
