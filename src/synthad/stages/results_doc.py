r"""``synthad results-doc``: write ``docs/results.md`` from ``results/`` (and a PNG of its first table).

Example (``make docs``)::

    synthad results-doc --tables results/tables --metrics results/metrics.csv \
        --settings results/run_settings.csv --out docs/results.md --figure docs/img/headline.png

The page is generated, never typed, so it shows the numbers of the last run and nothing older; see
:mod:`synthad.report.results_doc` for what it holds and :mod:`synthad.report.headline_figure` for
the picture. ``--params-json`` is the ``report:`` section (scale, colour thresholds), as for
``synthad tables``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthad.config import ReportConfig, parse_slice
from synthad.stages.options import output_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad results-doc``."""
    parser.add_argument("--tables", type=Path, default=Path("results/tables"), help="of `synthad tables`")
    parser.add_argument("--metrics", type=Path, default=Path("results/metrics.csv"),
                        help="of `synthad aggregate`")
    parser.add_argument("--settings", type=Path, default=Path("results/run_settings.csv"),
                        help="of `synthad aggregate --settings-out`")
    parser.add_argument("--params-json", default="{}", help="the report: section (JSON)")
    parser.add_argument("--out", type=output_path, default=Path("docs/results.md"), help="the Markdown page")
    parser.add_argument("--figure", type=output_path, help="also draw the first table into this PNG")


def command_line(args: argparse.Namespace) -> str:
    """The command as the page's header quotes it (the report section left out: it is long)."""
    parts = ["synthad results-doc", f"--tables {args.tables}", f"--metrics {args.metrics}",
             f"--settings {args.settings}", f"--out {args.out}"]
    return " ".join(parts + ([f"--figure {args.figure}"] if args.figure else []))


def run(args: argparse.Namespace) -> None:
    """Write ``--out`` (and ``--figure``)."""
    from synthad.report.aggregate import read_metrics_csv
    from synthad.report.results_doc import headline_tables, produced_on, results_markdown
    from synthad.report.settings import read_settings_csv
    from synthad.utils.io import write_text

    config = parse_slice(args.params_json, ReportConfig, "report")
    frame, settings = read_metrics_csv(args.metrics), read_settings_csv(args.settings)
    write_text(args.out, results_markdown(args.tables, frame, settings, config, produced_on(args.metrics),
                                          command_line(args)))
    print(f"{args.out}: written")
    if args.figure:
        from synthad.report.headline_figure import write_headline_figure

        write_headline_figure(headline_tables(args.tables), args.figure, config.title)
        print(f"{args.figure}: written")
