"""``synthad bank-sheet``: a contact sheet of random images of an anomaly bank, to look at it."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from synthad.banks import open_bank
from synthad.stages.options import output_path
from synthad.utils.grid import save_image_grid


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad bank-sheet``."""
    parser.add_argument("--bank", required=True, type=Path, help="bank folder")
    parser.add_argument("--out", required=True, type=output_path, help="PNG to write")
    parser.add_argument("--samples", type=int, default=16, help="images on the sheet")
    parser.add_argument("--size", type=int, default=128, help="side of each shown image")
    parser.add_argument("--seed", type=int, default=0, help="which images are drawn")


def run(args: argparse.Namespace) -> None:
    """Draw ``--samples`` distinct images of the bank (all when it has fewer)."""
    bank = open_bank(args.bank, args.size)
    rng = np.random.default_rng(args.seed)
    picks = sorted(rng.choice(len(bank), size=min(args.samples, len(bank)), replace=False))
    names = list(bank.manifest.files)
    m = bank.manifest
    heading = f"{args.bank}: {m.kind} bank, generator {m.generator}, {m.count} images"
    save_image_grid([bank.load(i) for i in picks], [Path(names[i]).stem[:24] for i in picks], args.out,
                    columns=8, heading=heading)
    print(f"wrote bank sheet {args.out}")
