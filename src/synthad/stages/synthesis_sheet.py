"""``synthad synthesis-sheet``: contact sheets of each paper's synthetic anomalies on one category.

For every method key in ``--methods`` (``draem, dmp, ndpnet, imm_alm, slsg, realnet``) it builds the
paper's synthesizer (:mod:`synthad.synthesis.registry`) on the category's training images, their
foreground masks and the given banks, and writes ``<out>/<key>.png``: rows of (normal image,
anomaly mask, synthetic image). Only anomalous draws are shown; each panel names its branch.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from synthad.banks import open_bank, parse_bank_flags
from synthad.data.index import read_index
from synthad.data.loader import read_image, read_mask
from synthad.errors import DataError
from synthad.masks.foreground import mask_file_for
from synthad.synthesis.registry import build_synthesizer, get_synthesizer
from synthad.synthesis.sample import TrainingPool
from synthad.synthesis.sheet import draw_anomalous, synthesis_sheet
from synthad.utils.io import atomic_dir


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad synthesis-sheet``."""
    parser.add_argument("--index", required=True, type=Path, help="data/index/<dataset>/<category>.csv")
    parser.add_argument("--masks", type=Path, help="foreground mask folder (default: whole images)")
    parser.add_argument("--bank", action="append", default=[], metavar="KIND=FOLDER", help="anomaly bank")
    parser.add_argument("--methods", default="draem,dmp,ndpnet,imm_alm,slsg", help="comma-separated keys")
    parser.add_argument("--out", required=True, type=Path, help="folder of the sheets (replaced)")
    parser.add_argument("--samples", type=int, default=8, help="anomalous samples per sheet")
    parser.add_argument("--size", type=int, default=256, help="synthesis resolution (the papers': 256)")
    parser.add_argument("--pool", type=int, default=32, help="training images used (evenly spread)")
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> None:
    """Write one sheet per method (see the module docstring)."""
    keys = [k.strip() for k in args.methods.split(",") if k.strip()]
    for key in keys:
        get_synthesizer(key)  # unknown keys fail before any work
    pool = load_pool(args.index, args.masks, args.size, args.pool)
    sources = {kind: open_bank(folder, args.size, kind) for kind, folder in parse_bank_flags(args.bank).items()}
    name = f"{args.index.parent.name}/{args.index.stem}"
    with atomic_dir(args.out) as tmp:
        for key in keys:
            samples = draw_anomalous(build_synthesizer(key, sources), pool, args.samples, args.seed)
            if not samples:
                raise DataError(f"{name}: the {key} synthesizer made no anomaly in {20 * args.samples} draws"
                                " (is the foreground mask empty?)")
            synthesis_sheet(samples, pool, tmp / f"{key}.png", f"{key} synthesis on {name} ({args.size} px)")
            print(f"{key}: {len(samples)} samples")
    print(f"wrote {len(keys)} synthesis sheets to {args.out}")


def load_pool(index_csv: Path, masks: Path | None, size: int, limit: int) -> TrainingPool:
    """Up to ``limit`` training images of the index (evenly spread) with their foregrounds, at ``size``."""
    index = read_index(index_csv)
    paths = [str(p) for p in index.loc[index["split"] == "train", "path"]]
    if not paths:
        raise DataError(f"{index_csv}: no training images")
    picks = np.unique(np.linspace(0, len(paths) - 1, min(limit, len(paths))).round().astype(int))
    images = np.stack([_resize(read_image(paths[i]), size, cv2.INTER_AREA) for i in picks])
    if masks is None:
        return TrainingPool(images)
    fgs = np.stack([_resize(read_mask(mask_file_for(masks, paths[i])).astype(np.uint8), size, cv2.INTER_NEAREST)
                    for i in picks])
    return TrainingPool(images, fgs)


def _resize(image: np.ndarray, size: int, interpolation: int) -> np.ndarray:
    return image if image.shape[:2] == (size, size) else cv2.resize(image, (size, size), interpolation=interpolation)
