r"""``synthad evaluate``: score the test split with trained models (every seed) and compute all metrics.

Example::

    synthad evaluate --index data/index/demo/bottle.csv \
        --model-dir results/models/demo/bottle/draem/seed0 \
        --params-json '{"resolution": 256, "pro_fpr_limit": 0.3, "batch_size": 8}' \
        --out results/runs/demo/bottle/draem/seed0

Writes ``scores.csv``, ``maps.npz``, ``metrics.json`` (byte-stable) and ``timing.json`` (the cost
figures) into ``--out`` (see :mod:`synthad.evaluation.evaluate`).

Several runs of one category (e.g. every seed) go in one call: ``--model-dir A B --out X Y``
evaluates ``A`` into ``X`` and ``B`` into ``Y``. The pipeline does this because the imports and the
start-up (2-5 s) cost as much as one small evaluation.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from synthad.config import EvaluateConfig, parse_slice
from synthad.errors import ConfigError
from synthad.stages.options import output_path
from synthad.utils.runtime import select_device


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad evaluate``."""
    parser.add_argument("--index", required=True, type=Path, help="data/index/<dataset>/<category>.csv")
    parser.add_argument("--model-dir", required=True, type=Path, nargs="+",
                        help="output folder(s) of `synthad train`")
    parser.add_argument("--params-json", default="{}", help="the evaluate: section (JSON)")
    parser.add_argument("--out", required=True, type=output_path, nargs="+",
                        help="run folder to write, one per --model-dir, in the same order")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch default)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> None:
    """Evaluate each model and write its run folder."""
    if len(args.model_dir) != len(args.out):
        raise ConfigError(f"--model-dir names {len(args.model_dir)} folders but --out {len(args.out)}:"
                          " give one run folder per model folder")
    import synthad.methods  # noqa: F401  (registers every method)
    from synthad.evaluation.evaluate import evaluate_run

    config = parse_slice(args.params_json, EvaluateConfig, "evaluate")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = select_device(args.device)
    for model_dir, out in zip(args.model_dir, args.out, strict=True):
        metrics = evaluate_run(args.index, model_dir, config, out, device, progress=not args.no_progress)
        shown = ("image_auroc", "pixel_auroc", "pixel_aupro", "inference_images_per_s")
        print(f"{model_dir}:", " ".join(f"{k}={metrics[k]:.4f}" for k in shown
                                        if isinstance(metrics.get(k), float)))
