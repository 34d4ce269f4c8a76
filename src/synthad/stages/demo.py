"""``synthad demo``: generate the embedded demo data set (MVTec layout) deterministically.

The sizes and seed come from the ``demo:`` section of ``params.yaml``, either as the JSON slice a
Snakemake rule passes (``--params-json``) or read from the file (``--params``); both are validated
strictly against :class:`~synthad.config.DemoConfig`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from synthad.config import DemoConfig, build, load_yaml, parse_slice
from synthad.data.demo import CATEGORIES, generate_demo
from synthad.stages.options import output_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad demo``."""
    parser.add_argument("--out", required=True, type=output_path, help="destination folder (data/raw/demo)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--params-json", help="the demo: section as JSON")
    source.add_argument("--params", type=Path, help="read the demo: section of this params.yaml")
    parser.add_argument("--categories", nargs="+", choices=CATEGORIES, help="subset (default: all)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def config_from_args(args: argparse.Namespace) -> DemoConfig:
    """The validated :class:`DemoConfig` from ``--params-json`` / ``--params`` (defaults otherwise)."""
    if args.params_json is not None:
        return parse_slice(args.params_json, DemoConfig, "demo")
    if args.params is not None:
        return build(DemoConfig, load_yaml(args.params).get("demo"), f"{args.params}:demo")
    return DemoConfig()


def run(args: argparse.Namespace) -> None:
    """Generate the data set into ``--out`` (replaced as a whole)."""
    config = config_from_args(args)
    start = time.perf_counter()
    generate_demo(args.out, config, args.categories, progress=not args.no_progress)
    print(f"wrote the demo data set to {args.out} in {time.perf_counter() - start:.1f} s")
