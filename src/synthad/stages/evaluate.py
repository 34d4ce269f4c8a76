r"""``synthad evaluate``: score the test split with a trained model and compute every metric.

Example::

    synthad evaluate --index data/index/demo/bottle.csv \
        --model-dir results/models/demo/bottle/draem/seed0 \
        --params-json '{"resolution": 256, "pro_fpr_limit": 0.3, "batch_size": 8}' \
        --out results/runs/demo/bottle/draem/seed0

Writes ``scores.csv``, ``maps.npz``, ``metrics.json`` (byte-stable) and ``timing.json`` (the cost
figures) into ``--out`` (see :mod:`synthad.evaluation.evaluate`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from synthad.config import EvaluateConfig, parse_slice
from synthad.stages.options import output_path
from synthad.utils.runtime import select_device


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad evaluate``."""
    parser.add_argument("--index", required=True, type=Path, help="data/index/<dataset>/<category>.csv")
    parser.add_argument("--model-dir", required=True, type=Path, help="output folder of `synthad train`")
    parser.add_argument("--params-json", default="{}", help="the evaluate: section (JSON)")
    parser.add_argument("--out", required=True, type=output_path, help="run folder to write")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch default)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> None:
    """Evaluate one model and write the run folder."""
    import synthad.methods  # noqa: F401  (registers every method)
    from synthad.evaluation.evaluate import evaluate_run

    config = parse_slice(args.params_json, EvaluateConfig, "evaluate")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    metrics = evaluate_run(args.index, args.model_dir, config, args.out, select_device(args.device),
                           progress=not args.no_progress)
    shown = ("image_auroc", "pixel_auroc", "pixel_aupro", "inference_images_per_s")
    print(" ".join(f"{k}={metrics[k]:.4f}" for k in shown if isinstance(metrics.get(k), float)))
