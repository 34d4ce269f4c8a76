"""``synthad params``: validate ``params.yaml`` and print the resolved configuration.

Useful before a long run: every key is checked (an unknown or mistyped key is an error naming it),
every listed method must be registered, and the printed YAML shows each default that applies.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import yaml

from synthad.config import load_params, method_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad params``."""
    parser.add_argument("--params", type=Path, default=Path("params.yaml"), help="file to check")
    parser.add_argument("--quiet", action="store_true", help="only validate, print nothing")


def run(args: argparse.Namespace) -> None:
    """Validate and print the configuration with every default filled in."""
    params = load_params(args.params)
    resolved = dataclasses.asdict(params)
    resolved["method_params"] = {
        key: dataclasses.asdict(method_config(key, params.method_params.get(key)))
        for key in params.methods
    }
    if not args.quiet:
        print(yaml.safe_dump(resolved, sort_keys=False), end="")
