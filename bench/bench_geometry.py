"""Benchmark source-image size: training step time on 256 px and 1024 px files (bench/results/geometry.json).

Real data sets come as 700-1700 px files; the methods train at 64-256 px. Each file is decoded and
resized once per run (``synthad.data.loader``), so a training step should cost the same whatever
the size of the files. This script checks it on the demo data set:

1. generates one demo category at ``demo.image_size`` (256 px, params.yaml) into a temporary folder,
2. writes a copy with every image and mask upscaled to ``--large`` px (bicubic / nearest),
3. trains each ``--methods`` entry at its params.yaml demo budget (``method_params``), with
   ``--epochs`` epochs instead of the configured number, on both copies, ``--repeats`` times in
   alternation, and reports per source size: the median seconds per training step (epoch seconds
   from the method's log over its ``ceil(N / batch_size)`` steps, the first epoch left out as
   warm-up) and the seconds spent in ``fit`` outside the epochs (decoding and resizing the files
   into the in-memory pool, model set-up), and the step-time ratio large / small, in wall seconds
   and in this process's CPU seconds (steadier where other jobs share the machine); the target is a
   ratio within 10 % of 1.

Usage::

    python bench/bench_geometry.py --methods draem --epochs 5 --repeats 3 --threads 1
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import torch
from timing import device_parser, print_row, setup, write_results

from synthad.banks import build_builtin_textures
from synthad.config import DemoConfig, build, load_yaml
from synthad.data.demo import generate_demo
from synthad.data.index import read_index
from synthad.data.layouts import build_index
from synthad.data.loader import ImageDataset
from synthad.data.registry import get_dataset
from synthad.methods import FitContext, get_method, method_config
from synthad.utils.images import read_image, read_mask, write_image

SUFFIXES = {".png", ".jpg", ".bmp", ".tif"}


def upscaled_copy(root: Path, out: Path, side: int) -> Path:
    """Copy of the demo folder ``root`` with every image and mask resized to ``side`` x ``side``.

    Masks (under ``ground_truth``) use nearest neighbour, so they stay binary; images bicubic.
    """
    for path in sorted(p for p in root.rglob("*") if p.suffix.lower() in SUFFIXES):
        target = out / path.relative_to(root)
        if "ground_truth" in path.parts:
            mask = read_mask(path).astype("uint8") * 255
            write_image(target, cv2.resize(mask, (side, side), interpolation=cv2.INTER_NEAREST))
        else:
            write_image(target, cv2.resize(read_image(path), (side, side), interpolation=cv2.INTER_CUBIC))
    return out


def time_fit(method_key: str, section: dict, index_csv: Path, banks: dict[str, Path], device: torch.device,
             state: Path) -> dict:
    """Fit once: median wall and CPU seconds per step over the epochs after the first; seconds outside epochs.

    CPU seconds (this process, between consecutive epoch log rows) are less disturbed than wall
    seconds by other work on a shared machine.
    """
    config = method_config(method_key, section)
    index = read_index(index_csv)
    train = ImageDataset(index[index["split"] == "train"], config.image_size)
    rows: list[dict] = []
    state.unlink(missing_ok=True)  # a fresh run each time, never a resume
    context = FitContext(seed=0, device=device, checkpoint_path=state, banks=banks, progress=False,
                         log=lambda row: rows.append(row | {"cpu": time.process_time()}))
    start, cpu_start = time.perf_counter(), time.process_time()
    get_method(method_key)(config, device).fit(train, context)
    wall = time.perf_counter() - start
    steps = math.ceil(len(train) / config.batch_size)
    epochs = [row["seconds"] for row in rows]
    marks = [cpu_start] + [row["cpu"] for row in rows]  # CPU clock at the start and after each epoch
    cpu = [after - before for before, after in zip(marks, marks[1:], strict=False)]
    return {"step_s": statistics.median(epochs[1:]) / steps, "step_cpu_s": statistics.median(cpu[1:]) / steps,
            "outside_epochs_s": wall - sum(epochs), "steps_per_epoch": steps, "image_size": config.image_size}


def prepare(work: Path, category: str, large: int, demo: DemoConfig) -> dict[int, Path]:
    """Demo category at ``demo.image_size`` and its ``large`` px copy; their index CSVs by source side."""
    small_root = generate_demo(work / "small", demo, [category], progress=False)
    large_root = upscaled_copy(small_root, work / "large", large)
    indexes = {}
    for side, root in ((demo.image_size, small_root), (large, large_root)):
        indexes[side] = work / f"index{side}" / f"{category}.csv"
        build_index(get_dataset("demo"), root, category, indexes[side])
    return indexes


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    p = device_parser(__doc__, "geometry")
    p.add_argument("--methods", nargs="+", default=["draem"],
                   help="methods whose fit needs at most a textures bank (draem, ndpnet, imm_alm)")
    p.add_argument("--category", default="fabric", help="demo category")
    p.add_argument("--large", type=int, default=1024, help="side of the upscaled copy (pixels)")
    p.add_argument("--epochs", type=int, default=5, help="epochs per run; the first is warm-up")
    p.add_argument("--repeats", type=int, default=3, help="runs per source size, alternating sizes")
    p.add_argument("--params", type=Path, default=Path("params.yaml"))
    return p.parse_args()


def main() -> None:
    """Run the benchmark and write the JSON file."""
    args = parse_args()
    device = setup(args)
    params = load_yaml(args.params)
    demo = build(DemoConfig, params.get("demo", {}), "demo")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_geometry_") as tmp:
        work = Path(tmp)
        indexes = prepare(work, args.category, args.large, demo)
        banks = {"textures": work / "textures"}
        build_builtin_textures(banks["textures"], size=256, seed=0, variants=1)
        for key in args.methods:
            section = dict(params["method_params"].get(key, {})) | {"epochs": args.epochs}
            runs: dict[int, list[dict]] = {side: [] for side in indexes}
            for _ in range(args.repeats):
                for side, index_csv in indexes.items():
                    runs[side].append(time_fit(key, section, index_csv, banks, device, work / "state.pt"))
            rows.append(print_row(summary(key, runs, args)))
    write_results("geometry", args, rows, category=args.category,
                  target="large / small step time within 10 %")


def summary(key: str, runs: dict[int, list[dict]], args: argparse.Namespace) -> dict:
    """One result row: per source side the median step and outside-epoch seconds, and the ratio."""
    small, large = sorted(runs)
    step = {side: statistics.median(r["step_s"] for r in runs[side]) for side in runs}
    cpu = {side: statistics.median(r["step_cpu_s"] for r in runs[side]) for side in runs}
    outside = {side: statistics.median(r["outside_epochs_s"] for r in runs[side]) for side in runs}
    ratio, cpu_ratio = step[large] / step[small], cpu[large] / cpu[small]
    return {
        "method": key, "image_size": runs[small][0]["image_size"], "epochs": args.epochs,
        "steps_per_epoch": runs[small][0]["steps_per_epoch"], "repeats": args.repeats,
        **{f"step_s_{side}px": round(step[side], 4) for side in runs},
        **{f"step_cpu_s_{side}px": round(cpu[side], 4) for side in runs},
        **{f"outside_epochs_s_{side}px": round(outside[side], 2) for side in runs},
        "step_ratio_large_over_small": round(ratio, 3), "wall_within_10_percent": abs(ratio - 1) <= 0.10,
        "cpu_step_ratio_large_over_small": round(cpu_ratio, 3),
        "cpu_within_10_percent": abs(cpu_ratio - 1) <= 0.10,
        "all_step_s": {f"{side}px": [round(r["step_s"], 4) for r in runs[side]] for side in runs},
    }


if __name__ == "__main__":
    main()
