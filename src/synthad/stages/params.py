"""``synthad params``: validate ``params.yaml`` and print the resolved configuration.

Useful before a long run: every key is checked as Snakemake checks it at its start (an unknown or
mistyped key, a number outside its declared range or not finite, a repeated seed, a category the
data set does not have: an error naming the key), every listed method must be registered, and the
printed YAML shows each default that applies.
``--preset NAME`` shows what a paper preset (``presets/NAME.yaml`` merged over the file) would
run, without editing the file; ``--list-presets`` names the presets there are.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import yaml

from synthad.config import PRESETS_DIR, list_presets, method_key, method_section
from synthad.methods import method_config
from synthad.stages.validate import load_params


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad params``."""
    parser.add_argument("--params", type=Path, default=Path("params.yaml"), help="file to check")
    parser.add_argument("--preset", default=None,
                        help="resolve with this preset instead of the file's `preset:` key (demo = none)")
    parser.add_argument("--list-presets", action="store_true", help="print the preset names and exit")
    parser.add_argument("--quiet", action="store_true", help="only validate, print nothing")


def run(args: argparse.Namespace) -> None:
    """Validate and print the configuration (preset merged) with every default filled in."""
    if args.list_presets:
        print("\n".join(list_presets(args.params.parent / PRESETS_DIR)))
        return
    params = load_params(args.params, preset=args.preset)
    resolved = dataclasses.asdict(params)
    resolved["method_params"] = {  # a variant's: its base's Config with the variant's params
        key: dataclasses.asdict(method_config(method_key(params, key), method_section(params, key)))
        for key in params.methods
    }
    if not args.quiet:
        print(yaml.safe_dump(resolved, sort_keys=False), end="")
