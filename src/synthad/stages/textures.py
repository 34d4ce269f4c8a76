"""``synthad textures``: materialise the anomaly-source texture folder.

Without ``--dtd`` it writes the built-in offline set (scikit-image photos + procedural textures,
:func:`synthad.synthesis.textures.write_builtin_textures`) as PNGs with a ``manifest.json``. With
``--dtd DIR`` (an extracted DTD, ``DIR/images/<class>/*.jpg``, or any image folder; or the
``source.json`` that ``synthad download`` wrote for data set ``dtd``) it checks the folder and
links it in with a manifest, so methods read DTD where it lies.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthad.data.download import read_source
from synthad.synthesis.textures import list_texture_files, write_builtin_textures
from synthad.utils.io import write_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad textures``."""
    parser.add_argument("--out", required=True, type=Path, help="output folder, e.g. data/banks/textures")
    parser.add_argument("--dtd", type=Path, help="use this texture folder (DTD or any images) instead")
    parser.add_argument("--size", type=int, default=256, help="side of the built-in textures (pixels)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the procedural textures")
    parser.add_argument("--variants", type=int, default=4, help="procedural textures per generator")


def run(args: argparse.Namespace) -> None:
    """Write the texture folder (see the module docstring)."""
    if args.dtd is None:
        out = write_builtin_textures(args.out, size=args.size, seed=args.seed, variants=args.variants)
        print(f"wrote built-in textures to {out}")
        return
    if args.dtd.suffix == ".json":  # the marker of `synthad download --dataset dtd [--path ...]`
        args.dtd = read_source(args.dtd)["root"]
    files = list_texture_files(args.dtd)  # DataError names the folder when empty or missing
    # Copying 5640 DTD images would double the disk use; symlink the folder's images instead.
    args.out.mkdir(parents=True, exist_ok=True)
    link = args.out / "images"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(args.dtd.resolve(), target_is_directory=True)
    write_json(args.out / "manifest.json", {"source": "folder", "path": str(args.dtd.resolve()),
                                            "count": len(files)})
    print(f"linked {len(files)} texture images from {args.dtd} into {args.out}")
