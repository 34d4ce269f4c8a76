r"""``synthad tables``: render summary, comparison and cost tables (CSV + LaTeX) from the metrics.

Example::

    synthad tables --metrics results/metrics.csv --params-json '{"scale": 100, "decimals": 1}' \
        --out results/tables

See :mod:`synthad.report.tables` for the file names and the statistics.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthad.config import ReportConfig, parse_slice
from synthad.report.aggregate import read_metrics_csv
from synthad.report.tables import write_tables


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad tables``."""
    parser.add_argument("--metrics", required=True, type=Path, help="results/metrics.csv")
    parser.add_argument("--params-json", default="{}", help="the report: section (JSON)")
    parser.add_argument("--out", required=True, type=Path, help="output folder, e.g. results/tables")


def run(args: argparse.Namespace) -> None:
    """Write every table into ``--out``."""
    config = parse_slice(args.params_json, ReportConfig, "report")
    written = write_tables(read_metrics_csv(args.metrics), config, args.out, str(args.metrics))
    print(f"{args.out}: {len(written)} files")
