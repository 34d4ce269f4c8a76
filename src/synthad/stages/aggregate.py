"""``synthad aggregate``: collect every ``metrics.json`` into ``results/metrics.csv``.

Examples::

    synthad aggregate --out results/metrics.csv results/runs/demo/*/*/seed*/metrics.json
    synthad aggregate --out results/metrics.csv --runs-dir results/runs

The output is long format: ``dataset, category, method, seed, metric, value``
(see :mod:`synthad.report.aggregate`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthad.errors import DataError
from synthad.report.aggregate import collect, find_metrics_files, write_metrics_csv


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad aggregate``."""
    parser.add_argument("metrics", nargs="*", type=Path, help="metrics.json files")
    parser.add_argument("--runs-dir", type=Path, help="collect every metrics.json below this folder")
    parser.add_argument("--out", required=True, type=Path, help="results/metrics.csv")


def run(args: argparse.Namespace) -> None:
    """Collect and write the long metrics table."""
    paths = list(args.metrics)
    if args.runs_dir is not None:
        paths += find_metrics_files(args.runs_dir)
    if not paths:
        raise DataError("aggregate: give metrics.json files or --runs-dir with at least one run")
    frame = collect(sorted(set(paths)))
    write_metrics_csv(frame, args.out)
    print(f"{args.out}: {len(frame)} rows from {len(set(paths))} runs")
