"""``synthad textures``: build the anomaly-source texture bank.

Without ``--dtd`` it writes the built-in offline set (scikit-image photos + procedural textures) as
a bank (:mod:`synthad.banks`). With ``--dtd DIR`` (an extracted DTD, ``DIR/images/<class>/*.jpg``,
or any image folder; or the ``source.json`` that ``synthad download`` wrote for data set ``dtd``)
it links that folder in as the bank, with a checksum per image, instead of copying 5640 images.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthad.banks import build_builtin_textures, link_folder_bank
from synthad.data.download import read_source
from synthad.stages.options import output_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad textures``."""
    parser.add_argument("--out", required=True, type=output_path,
                        help="bank folder, e.g. data/banks/textures/builtin")
    parser.add_argument("--dtd", type=Path, help="use this texture folder (DTD or any images) instead")
    parser.add_argument("--size", type=int, default=256, help="side of the built-in textures (pixels)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the procedural textures")
    parser.add_argument("--variants", type=int, default=4, help="procedural textures per generator")


def run(args: argparse.Namespace) -> None:
    """Write the texture bank (see the module docstring)."""
    if args.dtd is None:
        manifest = build_builtin_textures(args.out, size=args.size, seed=args.seed, variants=args.variants)
        print(f"wrote {manifest.count} built-in textures to {args.out}")
        return
    folder = args.dtd
    if folder.suffix == ".json":  # the marker of `synthad download --dataset dtd [--path ...]`
        folder = Path(read_source(folder)["root"])
    manifest = link_folder_bank(args.out, folder, "textures", "dtd")
    print(f"linked {manifest.count} texture images from {folder} into {args.out}")
