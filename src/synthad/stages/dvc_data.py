r"""``synthad dvc-data``: the metrics and plot files ``dvc.yaml`` declares (docs/dvc.md).

Example::

    synthad dvc-data --metrics results/metrics.csv --runs-dir results/runs --models-dir results/models \
        --headline-out results/metrics/headline.json --roc-out results/plots/roc \
        --training-out results/plots/training

``dvc metrics show/diff`` and ``dvc exp show`` read the headline JSON, ``dvc plots show/diff`` the
ROC and training-curve CSV files; see :mod:`synthad.report.dvc_data` for their contents.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthad.report.aggregate import read_metrics_csv
from synthad.stages.options import output_path
from synthad.utils.io import write_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad dvc-data``."""
    parser.add_argument("--metrics", required=True, type=Path, help="results/metrics.csv")
    parser.add_argument("--runs-dir", required=True, type=Path, help="results/runs (scores.csv)")
    parser.add_argument("--models-dir", required=True, type=Path, help="results/models (train_log.csv)")
    parser.add_argument("--headline-out", required=True, type=output_path,
                        help="seed means of the headline metrics, e.g. results/metrics/headline.json")
    parser.add_argument("--roc-out", required=True, type=output_path,
                        help="folder of image-level ROC points, e.g. results/plots/roc")
    parser.add_argument("--training-out", required=True, type=output_path,
                        help="folder of training-loss curves, e.g. results/plots/training")


def run(args: argparse.Namespace) -> None:
    """Write the headline metrics and the plot data."""
    from synthad.report.dvc_data import headline_metrics, write_plot_data  # deferred: sklearn, matplotlib

    headline = headline_metrics(read_metrics_csv(args.metrics))
    write_json(args.headline_out, headline)
    written = write_plot_data(args.runs_dir, args.models_dir, args.roc_out, args.training_out)
    print(f"{args.headline_out}: {len(headline)} entries; {len(written)} plot files")
