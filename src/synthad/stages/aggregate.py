"""``synthad aggregate``: collect every ``metrics.json`` into ``results/metrics.csv``.

Examples::

    synthad aggregate --out results/metrics.csv results/runs/demo/*/*/seed*/metrics.json
    synthad aggregate --out results/metrics.csv --runs-dir results/runs \
        --models-dir results/models --settings-out results/run_settings.csv

The output is long format: ``dataset, category, method, seed, metric, value``
(see :mod:`synthad.report.aggregate`). With ``--settings-out`` the settings each run was trained
with (image size, epochs, device, read from ``--models-dir``) go into a second table
(:mod:`synthad.report.settings`), for the scale notes of the tables.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthad.errors import DataError
from synthad.report.aggregate import collect, find_metrics_files, write_metrics_csv
from synthad.report.settings import collect_settings, write_settings_csv
from synthad.stages.options import output_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad aggregate``."""
    parser.add_argument("metrics", nargs="*", type=Path, help="metrics.json files")
    parser.add_argument("--runs-dir", type=Path, help="collect every metrics.json below this folder")
    parser.add_argument("--out", required=True, type=output_path, help="results/metrics.csv")
    parser.add_argument("--models-dir", type=Path, default=Path("results/models"),
                        help="model folders of the runs (config.json, train_info.json)")
    parser.add_argument("--settings-out", type=output_path,
                        help="also write the run settings, e.g. results/run_settings.csv")


def run(args: argparse.Namespace) -> None:
    """Collect and write the long metrics table."""
    paths = list(args.metrics)
    if args.runs_dir is not None:
        paths += find_metrics_files(args.runs_dir)
    if not paths:
        raise DataError("aggregate: give metrics.json files or --runs-dir with at least one run")
    frame = collect(sorted(set(paths)))
    write_metrics_csv(frame, args.out)
    if args.settings_out is not None:
        write_settings_csv(collect_settings(frame, args.models_dir), args.settings_out)
    print(f"{args.out}: {len(frame)} rows from {len(set(paths))} runs")
