"""``synthad natural``: build the natural-image bank (NDP-Net's ImageNet, Lv et al.'s VOC).

Without ``--folder`` it writes random crops of scikit-image's real photographs (offline stand-in);
with ``--folder DIR`` (e.g. an ImageNet subset or ``VOC2012/JPEGImages``) it links that folder in
as the bank, with a checksum per image.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthad.banks import build_builtin_natural, link_folder_bank
from synthad.stages.options import output_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad natural``."""
    parser.add_argument("--out", required=True, type=output_path,
                        help="bank folder, e.g. data/banks/natural/builtin")
    parser.add_argument("--folder", type=Path, help="link this folder of natural photographs instead")
    parser.add_argument("--size", type=int, default=256, help="side of the built-in images (pixels)")
    parser.add_argument("--count", type=int, default=200, help="number of built-in images")
    parser.add_argument("--seed", type=int, default=0, help="seed of the built-in crops")


def run(args: argparse.Namespace) -> None:
    """Write the natural-image bank (see the module docstring)."""
    if args.folder is None:
        manifest = build_builtin_natural(args.out, size=args.size, seed=args.seed, count=args.count)
        print(f"wrote {manifest.count} built-in natural images to {args.out}")
        return
    manifest = link_folder_bank(args.out, args.folder, "natural", "folder")
    print(f"linked {manifest.count} natural images from {args.folder} into {args.out}")
