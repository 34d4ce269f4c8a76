r"""``synthad rto``: derive a MAD-RTO-style data set (rotated and shifted object images).

Example::

    synthad rto --base demo --index data/index/demo/washer.csv data/index/demo/circuit.csv \
        --out data/raw/demo_rto --params-json '{"max_angle": 30, "max_shift": 0.1, "seed": 0}'

Writes ``--out/<category>/`` (MVTec layout and ``rto.json`` with every image's angle and shift)
and ``--out/source.json`` naming the data set ``rto:<base>``, so ``synthad index --source
rto:<base>`` indexes it like any other folder (see :mod:`synthad.data.rto`).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from synthad.config import RtoConfig, parse_slice
from synthad.stages.options import output_path, with_dataset_keys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad rto``."""
    parser.add_argument("--base", required=True,
                        help=with_dataset_keys("registry key of the base data set (with object categories)"))
    parser.add_argument("--index", required=True, nargs="+", type=Path,
                        help="the base's object categories: data/index/<base>/<category>.csv")
    parser.add_argument("--out", required=True, type=output_path, help="destination folder (data/raw/<name>)")
    parser.add_argument("--params-json", default="{}",
                        help="the rto settings as JSON (max_angle, max_shift, fill, seed)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> None:
    """Derive every given category into ``--out`` (replaced as a whole)."""
    from synthad.data.rto import derive_dataset  # deferred: keeps `--help` fast

    config = parse_slice(args.params_json, RtoConfig, "rto")
    start = time.perf_counter()
    derive_dataset(args.index, args.out, args.base, config, progress=not args.no_progress)
    names = ", ".join(p.stem for p in args.index)
    print(f"rto:{args.base} ({names}) written to {args.out} in {time.perf_counter() - start:.1f} s")
