r"""Sweep a method's demo budget: train + evaluate per (setting, category, seed) -> one JSON table.

The demo budgets in ``params.yaml`` were chosen with this script; each method README quotes its
runs. Every run is the pipeline's own pair of commands (``synthad train`` then ``synthad evaluate``
on the demo index), with the ``method_params`` section of ``params.yaml`` updated by the setting's
overrides, so a swept setting copied into ``params.yaml`` reproduces its numbers. Two runs go at a
time (one thread each), as Snakemake runs them on 2 cores.

Needs the demo data, its foreground masks and the built-in banks (``snakemake data_all masks_all
data/banks/textures/builtin data/banks/natural/builtin --cores 2``). Example::

    python bench/sweep_demo.py --method realnet --out bench/results/sweep_realnet.json \\
        --setting lite64='{"image_size": 64}' --setting lite128='{"image_size": 128}'
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from synthad.utils.io import write_json

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = ("fabric", "marble", "washer", "circuit")
BANKS = {"textures": "data/banks/textures/builtin", "natural": "data/banks/natural/builtin"}
SYNTHAD = str(Path(sys.executable).parent / "synthad")  # the CLI of the interpreter running this script
TRAIN = yaml.safe_load((ROOT / "params.yaml").read_text())["train"]  # checkpoint cadence, hold-out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--method", required=True, help="registry key of the method")
    parser.add_argument("--setting", action="append", required=True, metavar="NAME=JSON",
                        help="a named setting: overrides of params.yaml's method_params.<method>")
    parser.add_argument("--categories", nargs="+", default=list(CATEGORIES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time (one thread each)")
    parser.add_argument("--work", type=Path, default=ROOT / "results" / "sweeps", help="run folders")
    parser.add_argument("--out", type=Path, required=True, help="JSON table of every run")
    return parser.parse_args(argv)


def settings(method: str, pairs: list[str]) -> dict[str, dict]:
    """``NAME=JSON`` pairs -> name -> the full method_params section (params.yaml's, updated)."""
    base = yaml.safe_load((ROOT / "params.yaml").read_text())["method_params"].get(method, {})
    out = {}
    for pair in pairs:
        name, _, text = pair.partition("=")
        out[name] = base | json.loads(text or "{}")
    return out


def command_args(method: str, params: dict, category: str, seed: int, run: Path) -> list[list[str]]:
    """The ``synthad train`` and ``synthad evaluate`` argument lists of one run."""
    index = f"data/index/demo/{category}.csv"
    train = [SYNTHAD, "train", "--index", index, "--method", method, "--seed", str(seed),
             "--out", str(run / "model"), "--params-json", json.dumps(params),
             "--train-json", json.dumps(TRAIN | {"num_threads": 1}), "--masks", f"data/masks/demo/{category}",
             "--no-progress"] + [arg for kind, folder in BANKS.items() if (ROOT / folder).is_dir()
                                 for arg in ("--bank", f"{kind}={folder}")]
    evaluate = [SYNTHAD, "evaluate", "--index", index, "--model-dir", str(run / "model"),
                "--out", str(run / "eval"), "--threads", "1"]
    return [train, evaluate]


def run_one(method: str, name: str, params: dict, category: str, seed: int, work: Path) -> dict:
    """Train and evaluate one run (skipped when its metrics exist); returns its table row."""
    run = work / method / name / f"{category}_seed{seed}"
    metrics_file = run / "eval" / "metrics.json"
    start = time.perf_counter()
    if not metrics_file.is_file():
        run.mkdir(parents=True, exist_ok=True)
        with open(run / "log.txt", "w") as log:
            for args in command_args(method, params, category, seed, run):
                subprocess.run(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=True)
    metrics = json.loads(metrics_file.read_text())
    info = json.loads((run / "model" / "train_info.json").read_text())
    row = {"setting": name, "category": category, "seed": seed,
           "image_auroc": metrics.get("image_auroc"), "pixel_auroc": metrics.get("pixel_auroc"),
           "train_seconds": info.get("train_seconds"), "wall_seconds": round(time.perf_counter() - start, 1)}
    print(json.dumps(row), flush=True)
    return row


def main(argv: list[str] | None = None) -> int:
    """Run the sweep and write ``--out``."""
    args = parse_args(argv)
    named = settings(args.method, args.setting)
    grid = list(itertools.product(named.items(), args.categories, args.seeds))
    with ThreadPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(lambda g: run_one(args.method, g[0][0], g[0][1], g[1], g[2], args.work), grid))
    write_json(args.out, {"method": args.method, "settings": named, "runs": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
