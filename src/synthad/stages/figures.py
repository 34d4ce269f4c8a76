r"""``synthad figures``: anomaly maps next to ground truth for a few test images per run.

A data set without pixel masks (``pixel_masks: false``) gets no ground-truth column.

Example::

    synthad figures --runs-dir results/runs --index-dir data/index --out results/figures/maps \
        --params-json '{"figure_images": 4}'

See :mod:`synthad.report.figures`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthad.config import ReportConfig, parse_slice
from synthad.stages.options import output_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad figures``."""
    parser.add_argument("--runs-dir", required=True, type=Path, help="results/runs")
    parser.add_argument("--index-dir", required=True, type=Path, help="data/index")
    parser.add_argument("--out", required=True, type=output_path,
                        help="output folder, e.g. results/figures/maps")
    parser.add_argument("--params-json", default="{}", help="the report: section (JSON)")


def run(args: argparse.Namespace) -> None:
    """Draw one figure per data set / category / method."""
    from synthad.report.figures import write_figures  # deferred: matplotlib import is slow

    config = parse_slice(args.params_json, ReportConfig, "report")
    written = write_figures(args.runs_dir, args.index_dir, config, args.out)
    print(f"{args.out}: {len(written)} figures")
