r"""Training time with channels-last (NHWC) weights against the NCHW default -> JSON.

``EpochLoop`` stores every trained module channels-last on the CPU
(``synthad.methods.loop.channels_last``). This benchmark trains each method's ``params.yaml`` demo
budget (shortened by ``--epochs-scale``) on one demo category, once as the pipeline does and once
with that conversion turned off, alternating the two so that a change in machine load hits both,
and reports ``train_seconds`` (``train_info.json``: the fit alone, without start-up) of each.
Everything runs in this process on one thread, through the pipeline's own ``synthad train``.

Needs the demo data, its masks and the built-in banks (see ``bench/sweep_demo.py``). Example::

    python bench/bench_channels_last.py --epochs-scale 0.25 --out bench/results/channels_last.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from unittest import mock

import yaml
from profile_training import scaled
from sweep_demo import ROOT, command_args

import synthad.methods.loop
from synthad.cli import main as synthad_main
from synthad.utils.io import write_json

CONV_METHODS = ("draem", "dmp", "ndpnet", "realnet", "imm_alm", "slsg")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--methods", nargs="+", default=list(CONV_METHODS))
    parser.add_argument("--category", default="circuit", help="demo category to train on")
    parser.add_argument("--epochs-scale", type=float, default=0.25, help="budget multiplier")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each layout per method")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "channels_last.json")
    return parser.parse_args(argv)


def train_seconds(method: str, params: dict, category: str, nhwc: bool) -> float:
    """Fit seconds of one ``synthad train`` run, with or without the channels-last conversion."""
    with tempfile.TemporaryDirectory(prefix=f"bench_cl_{method}_") as tmp:
        argv = command_args(method, params, category, 0, Path(tmp))[0][1:]  # drop the executable
        switch = synthad.methods.loop.channels_last if nhwc else (lambda objects: None)
        with mock.patch.object(synthad.methods.loop, "channels_last", switch):
            if synthad_main(argv) != 0:
                raise RuntimeError(f"synthad train {method} failed")
        return json.loads((Path(tmp) / "model" / "train_info.json").read_text())["train_seconds"]


def main(argv: list[str] | None = None) -> int:
    """Time every method in both layouts and write ``--out``."""
    args = parse_args(argv)
    args.out = args.out.resolve()  # before the chdir below
    os.chdir(ROOT)  # the index, mask and bank paths of command_args are relative to the repository
    method_params = yaml.safe_load((ROOT / "params.yaml").read_text())["method_params"]
    rows = []
    for method in args.methods:
        params = scaled(method_params.get(method) or {}, args.epochs_scale)
        times: dict[str, list[float]] = {"nchw": [], "nhwc": []}
        for _ in range(args.repeats):
            for layout in ("nchw", "nhwc"):
                times[layout].append(round(train_seconds(method, params, args.category, layout == "nhwc"), 2))
        rows.append({"method": method, "params": params, "train_seconds": times,
                     "ratio": round(min(times["nhwc"]) / min(times["nchw"]), 3)})
        print(json.dumps({k: rows[-1][k] for k in ("method", "train_seconds", "ratio")}), flush=True)
    write_json(args.out, {"category": args.category, "epochs_scale": args.epochs_scale, "runs": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
