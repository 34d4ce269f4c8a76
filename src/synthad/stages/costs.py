r"""``synthad costs``: what the pipeline cost, per phase or per method, as text or CSV.

Example::

    synthad costs                                  # per phase, aligned text
    synthad costs --by method --csv > costs.csv    # per method, CSV

Reads the Snakemake benchmark files under ``--benchmarks`` (every rule writes one per job); the
same tables are in ``reports/report.html`` and ``reports/costs_*.csv``. See
:mod:`synthad.report.costs` for the columns.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthad.errors import DataError
from synthad.report.costs import BENCHMARKS_DIR, method_costs, phase_costs, read_benchmarks


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad costs``."""
    parser.add_argument("--benchmarks", type=Path, default=BENCHMARKS_DIR,
                        help="Snakemake's benchmark folder")
    parser.add_argument("--by", choices=("phase", "method"), default="phase",
                        help="one row per phase or per method")
    parser.add_argument("--csv", action="store_true", help="print CSV instead of aligned text")


def run(args: argparse.Namespace) -> None:
    """Print the cost table."""
    jobs = read_benchmarks(args.benchmarks)
    if jobs.empty:
        raise DataError(f"{args.benchmarks}: no benchmark files (Snakemake writes one for every job it runs)")
    table = (phase_costs if args.by == "phase" else method_costs)(jobs)
    print(table.round(3).to_csv() if args.csv else table.round(1).to_string() + "\n", end="")
