r"""``synthad tables``: summary, comparison, cost, unified and paper tables (CSV + LaTeX).

Example::

    synthad tables --metrics results/metrics.csv --settings results/run_settings.csv \
        --datasets-json '{"demo": "demo", "metal_plate": "folder"}' \
        --params-json '{"scale": 100, "decimals": 1}' --out results/tables

``--datasets-json`` maps each of our data sets (``params.yaml`` ``data.datasets`` entry) to its
registry source key, which decides which paper tables its runs fill (:mod:`synthad.report.matching`);
without it every data set name is taken as its own key. ``--variants-json`` is the ``variants``
section of ``params.yaml``: a variant fills the paper-table rows whose overrides equal its params.
``--no-papers`` leaves the paper tables out.
See :mod:`synthad.report.tables` for the files and the statistics.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from synthad.config import ReportConfig, VariantEntry, parse_slice
from synthad.errors import ConfigError
from synthad.report.aggregate import read_metrics_csv
from synthad.report.claims import load_claims
from synthad.report.settings import read_settings_csv
from synthad.report.tables import write_tables
from synthad.stages.options import output_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad tables``."""
    parser.add_argument("--metrics", required=True, type=Path, help="results/metrics.csv")
    parser.add_argument("--settings", type=Path, help="results/run_settings.csv (scale notes)")
    parser.add_argument("--datasets-json", help='our data set -> registry source, e.g. {"demo": "demo"}')
    parser.add_argument("--variants-json", default="{}",
                        help='the variants: section, e.g. {"dmp_no_lk": {"method": "dmp", "params": {...}}}')
    parser.add_argument("--claims-dir", type=Path, help="claims YAML folder (default: the packaged claims)")
    parser.add_argument("--no-papers", action="store_true", help="do not write the paper tables")
    parser.add_argument("--params-json", default="{}", help="the report: section (JSON)")
    parser.add_argument("--out", required=True, type=output_path, help="output folder, e.g. results/tables")


def _datasets(text: str | None) -> dict[str, str] | None:
    if text is None:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--datasets-json: not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ConfigError(f"--datasets-json: expected an object of strings, got {text!r}")
    return data


def run(args: argparse.Namespace) -> None:
    """Write every table into ``--out``."""
    config = parse_slice(args.params_json, ReportConfig, "report")
    claims = None if args.no_papers else load_claims(args.claims_dir)
    written = write_tables(read_metrics_csv(args.metrics), config, args.out, str(args.metrics), claims,
                           read_settings_csv(args.settings), _datasets(args.datasets_json),
                           parse_slice(args.variants_json, dict[str, VariantEntry], "variants"))
    print(f"{args.out}: {len(written)} files")
