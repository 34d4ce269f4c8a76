r"""``synthad report``: assemble the tables and figures into one LaTeX document and one HTML page.

Example::

    synthad report --tables results/tables --figures results/figures/compare --out reports \
        --params-json '{"title": "SynthAD"}'

``reports/report.html`` opens in any browser (figures embedded); ``cd reports && pdflatex report.tex``
builds the PDF where TeX is installed. See :mod:`synthad.report.document`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthad.config import ReportConfig, parse_slice
from synthad.stages.options import output_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad report``."""
    parser.add_argument("--tables", required=True, type=Path, help="results/tables (of `synthad tables`)")
    parser.add_argument(
        "--figures", required=True, type=Path, help="results/figures/compare (of `synthad plots`)"
    )
    parser.add_argument("--params-json", default="{}", help="the report: section (JSON)")
    parser.add_argument("--out", required=True, type=output_path, help="output folder, e.g. reports")


def run(args: argparse.Namespace) -> None:
    """Write report.html and report.tex (with its tables and figures) into ``--out``."""
    from synthad.report.document import write_report

    config = parse_slice(args.params_json, ReportConfig, "report")
    written = write_report(args.tables, args.figures, config, args.out)
    print(f"{args.out}: {', '.join(p.name for p in written)}")
