r"""``synthad report``: assemble the tables and figures into one LaTeX document and one HTML page.

Example::

    synthad report --tables results/tables --figures results/figures/compare --out reports \
        --params-json '{"title": "SynthAD"}'

``reports/report.html`` opens in any browser (figures embedded); ``cd reports && pdflatex report.tex``
builds the PDF where TeX is installed. The cost tables read Snakemake's benchmark files
(``--benchmarks``, default ``logs/benchmarks``; none there: no cost table); the Snakemake rule
passes ``--skip-rule <its own name>``, whose benchmark is written only after the report. See
:mod:`synthad.report.document` and :mod:`synthad.report.costs`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthad.config import ReportConfig, parse_slice
from synthad.report.costs import BENCHMARKS_DIR
from synthad.stages.options import output_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad report``."""
    parser.add_argument("--tables", required=True, type=Path, help="results/tables (of `synthad tables`)")
    parser.add_argument(
        "--figures", required=True, type=Path, help="results/figures/compare (of `synthad plots`)"
    )
    parser.add_argument("--benchmarks", type=Path, default=BENCHMARKS_DIR,
                        help="Snakemake's benchmark folder, for the cost tables")
    parser.add_argument("--skip-rule", action="append", default=[],
                        help="leave this rule's benchmark files out (repeatable)")
    parser.add_argument("--params-json", default="{}", help="the report: section (JSON)")
    parser.add_argument("--out", required=True, type=output_path, help="output folder, e.g. reports")


def run(args: argparse.Namespace) -> None:
    """Write report.html and report.tex (with its tables and figures) into ``--out``."""
    from synthad.report.document import write_report

    config = parse_slice(args.params_json, ReportConfig, "report")
    written = write_report(
        args.tables, args.figures, config, args.out, args.benchmarks, tuple(args.skip_rule)
    )
    print(f"{args.out}: {', '.join(p.name for p in written)}")
