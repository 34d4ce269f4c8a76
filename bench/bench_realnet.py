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
import platform
import resource
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from synthad.methods.realnet import Config, RealNet
from synthad.utils.io import write_json


def time_train_step(method: RealNet, steps: int, device: torch.device) -> float:
    """Median seconds of one optimisation step at the config's size and batch (first step dropped)."""
    cfg, model = method.config, method.model.train()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    s, b = cfg.image_size, cfg.batch_size
    x = torch.rand(b, 3, s, s, device=device)
    mask = (torch.rand(b, 1, s, s, device=device) > 0.9).float()
    targets = [f + 0.1 for f in model.features(x)]
    times = []
    for i in range(steps + 1):
        start = time.perf_counter()
        logits, recons = model(x)
        loss = F.cross_entropy(logits, mask[:, 0].long()) + sum(
            F.mse_loss(r, t) for r, t in zip(recons, targets, strict=True))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if i:
            times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def images_per_second(method: RealNet, size: int, n: int, device: torch.device) -> float:
    """Throughput of ``predict`` on ``n`` random images of ``size`` x ``size``."""
    images = torch.rand(n, 3, size, size)
    method.predict(images[: min(n, method.config.eval_batch_size)])  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    method.predict(images)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return n / (time.perf_counter() - start)


def bench_one(name: str, config: Config, args: argparse.Namespace) -> dict:
    """Train-step and inference numbers of one configuration (run in its own process on CPU)."""
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    method = RealNet(config, device)
    trainable = sum(p.numel() for p in method.model.parameters() if p.requires_grad)
    step = time_train_step(method, args.steps, device)
    fps = images_per_second(method, args.size, args.infer_images, device)
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
    print(json.dumps(row), flush=True)
    return row


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=256, help="inference input size (and the paper configs' size)")
    p.add_argument("--steps", type=int, default=1, help="timed training steps per configuration")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--device", default="cpu")
    p.add_argument("--infer-images", type=int, default=4)
    p.add_argument("--paper-batch", type=int, default=16)
    p.add_argument("--demo-json", default='{"image_size": 64, "layers": [1, 2], "feature_dims": [64, 64],'
                   ' "head_widths": [64, 32, 16, 8], "head_channels": 32, "batch_size": 8}',
                   help="Config overrides of the demo setting (JSON)")
    p.add_argument("--skip-paper", action="store_true", help="only the demo configuration")
    p.add_argument("--out", type=Path, default=Path("bench/results/realnet.json"))
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
    write_json(args.out, {
        "method": "realnet", "device": args.device, "threads": args.threads, "torch": torch.__version__,
        "machine": platform.processor() or platform.machine(), "results": rows,
        "paper_fps_rtx3090": {"paper": 31.93, "paper_small": 40.42},
    })
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
