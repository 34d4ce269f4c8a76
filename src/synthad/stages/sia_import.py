"""``synthad sia-import``: use RealNet's released SIA images of one category as its SDAS bank.

RealNet publishes its SDAS samples ("SIA", about 10k per category, ``<dir>/<category>/*.jpg``).
With them, no diffusion model has to be trained: the category folder is linked in as an ``sdas``
bank with a checksum per image (set ``synthesis.sia_dir`` in params.yaml and the pipeline does this).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthad.banks import import_sia
from synthad.stages.options import output_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad sia-import``."""
    parser.add_argument("--sia", required=True, type=Path,
                        help="released SIA folder (<dir>/<category>/*.jpg)")
    parser.add_argument("--category", required=True, help="category folder to import, e.g. bottle")
    parser.add_argument("--out", required=True, type=output_path,
                        help="bank folder, e.g. data/banks/sdas/mvtec_ad/bottle")


def run(args: argparse.Namespace) -> None:
    """Link the category's SIA images as a bank (see the module docstring)."""
    manifest = import_sia(args.out, args.sia, args.category)
    print(f"imported {manifest.count} SIA images of {args.category} from {args.sia} into {args.out}")
