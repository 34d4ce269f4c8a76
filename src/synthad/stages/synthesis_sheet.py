"""``synthad synthesis-sheet``: contact sheets of each paper's synthetic anomalies on one category.

For every method key in ``--methods`` (``draem, dmp, ndpnet, imm_alm, slsg, realnet``) it builds the
paper's synthesizer (:mod:`synthad.synthesis.registry`) on the category's training images, their
foreground masks and the given banks, and writes ``<out>/<key>.png``: rows of (normal image,
anomaly mask, synthetic image). Only anomalous draws are shown; each panel names its branch.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthad.banks import open_bank, parse_bank_flags
from synthad.data.loader import load_pool_arrays, load_train_images
from synthad.errors import DataError
from synthad.stages.options import output_path
from synthad.synthesis.registry import SYNTHESIZERS, build_synthesizer, get_synthesizer
from synthad.synthesis.sample import TrainingPool
from synthad.synthesis.sheet import draw_anomalous, synthesis_sheet
from synthad.utils.io import atomic_dir


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad synthesis-sheet``."""
    parser.add_argument("--index", required=True, type=Path, help="data/index/<dataset>/<category>.csv")
    parser.add_argument("--masks", type=Path, help="foreground mask folder (default: whole images)")
    parser.add_argument("--bank", action="append", default=[], metavar="KIND=FOLDER", help="anomaly bank")
    parser.add_argument("--methods", default="draem,dmp,ndpnet,imm_alm,slsg",
                        help=f"comma-separated synthesizer keys, of: {', '.join(sorted(SYNTHESIZERS))}")
    parser.add_argument("--out", required=True, type=output_path, help="folder of the sheets (replaced)")
    parser.add_argument("--samples", type=int, default=8, help="anomalous samples per sheet")
    parser.add_argument("--size", type=int, default=256, help="synthesis resolution (the papers': 256)")
    parser.add_argument("--pool", type=int, default=32, help="training images used (evenly spread)")
    parser.add_argument("--source-index", action="append", default=[], type=Path,
                        help="index CSV of another category of the data set: DMP draws its sources from"
                             " every category (repeat; pair with --source-masks)")
    parser.add_argument("--source-masks", action="append", default=[], type=Path,
                        help="foreground mask folder of the matching --source-index")
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> None:
    """Write one sheet per method (see the module docstring)."""
    keys = [k.strip() for k in args.methods.split(",") if k.strip()]
    for key in keys:
        get_synthesizer(key)  # unknown keys fail before any work
    pool = TrainingPool(*load_train_images(args.index, args.size, args.pool, args.masks))
    sources = {kind: open_bank(folder, args.size, kind)
               for kind, folder in parse_bank_flags(args.bank).items()}
    params = {"dmp": {"source_pool": source_pool(args)}} if args.source_index else {}
    name = f"{args.index.parent.name}/{args.index.stem}"
    with atomic_dir(args.out) as tmp:
        for key in keys:
            synth = build_synthesizer(key, sources, **params.get(key, {}))
            samples = draw_anomalous(synth, pool, args.samples, args.seed)
            if not samples:
                raise DataError(f"{name}: the {key} synthesizer made no anomaly in {20 * args.samples} draws"
                                " (is the foreground mask empty?)")
            synthesis_sheet(samples, pool, tmp / f"{key}.png", f"{key} synthesis on {name} ({args.size} px)")
            print(f"{key}: {len(samples)} samples")
    print(f"wrote {len(keys)} synthesis sheets to {args.out}")


def source_pool(args: argparse.Namespace) -> TrainingPool:
    """Training images of the category and of every ``--source-index`` (DMP's data-set-wide sources)."""
    if len(args.source_masks) not in (0, len(args.source_index)):
        raise DataError("give one --source-masks per --source-index (or none)")
    masks = args.source_masks or [None] * len(args.source_index)
    sources = [(args.index, args.masks), *zip(args.source_index, masks, strict=True)]
    return TrainingPool(*load_pool_arrays(sources, args.size, args.pool))
