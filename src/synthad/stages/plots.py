r"""``synthad plots``: figures comparing the methods (ROC curves, box plots, map grids, training curves).

Example::

    synthad plots --runs-dir results/runs --models-dir results/models --index-dir data/index \
        --metrics results/metrics.csv --params-json '{"figure_images": 4}' --out results/figures/compare

See :mod:`synthad.report.plots` for the files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthad.config import ReportConfig, parse_slice
from synthad.report.aggregate import read_metrics_csv
from synthad.stages.options import output_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad plots``."""
    parser.add_argument("--runs-dir", required=True, type=Path, help="results/runs")
    parser.add_argument("--models-dir", required=True, type=Path, help="results/models (train_log.csv)")
    parser.add_argument("--index-dir", required=True, type=Path, help="data/index")
    parser.add_argument("--metrics", required=True, type=Path, help="results/metrics.csv (box plots)")
    parser.add_argument("--params-json", default="{}", help="the report: section (JSON)")
    parser.add_argument("--out", required=True, type=output_path,
                        help="output folder, e.g. results/figures/compare")


def run(args: argparse.Namespace) -> None:
    """Draw every comparison figure."""
    from synthad.report.plots import write_plots  # deferred: matplotlib import is slow

    config = parse_slice(args.params_json, ReportConfig, "report")
    written = write_plots(
        args.runs_dir, args.models_dir, args.index_dir, read_metrics_csv(args.metrics), config, args.out
    )
    print(f"{args.out}: {len(written)} figures")
