"""``synthad masks``: foreground masks of one category, and a contact sheet to check them.

Reads the category's index, computes one mask per image (train and test) with the given
:class:`~synthad.config.MaskSetting` (docs/official-code.md#realnet-foreground-masks) and writes them
under ``--out`` following :func:`synthad.masks.foreground.mask_file_for`; the folder is replaced as a
whole. ``--sheet`` draws the first few images of the index (spread over train and test) with their masks.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np

from synthad.config import MaskSetting, parse_slice
from synthad.data.index import read_index
from synthad.masks.foreground import mask_file_for, write_masks
from synthad.masks.sheet import contact_sheet
from synthad.stages.options import output_path
from synthad.utils.images import read_image, read_mask


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad masks``."""
    parser.add_argument("--index", required=True, type=Path, help="data/index/<dataset>/<category>.csv")
    parser.add_argument("--setting-json", default="{}", help="the MaskSetting as JSON (default: whole)")
    parser.add_argument("--out", required=True, type=output_path, help="data/masks/<dataset>/<category>")
    parser.add_argument("--sheet", type=output_path, help="contact sheet PNG to write (optional)")
    parser.add_argument("--sheet-images", type=int, default=8, help="images on the contact sheet")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> None:
    """Write the masks, then the contact sheet (see the module docstring)."""
    setting = parse_slice(args.setting_json, MaskSetting, "--setting-json")
    index = read_index(args.index)
    count = write_masks(index, setting, args.out, progress=not args.no_progress)
    print(f"wrote {count} foreground masks to {args.out}")
    if args.sheet is not None and args.sheet_images > 0:
        _sheet(index, setting, args)
        print(f"wrote contact sheet {args.sheet}")


def _sheet(index, setting: MaskSetting, args: argparse.Namespace) -> None:
    """Contact sheet of ``--sheet-images`` images spread evenly over the index."""
    picks = np.unique(np.linspace(0, len(index) - 1, args.sheet_images).round().astype(int))
    images, masks, titles = [], [], []
    for i in picks:
        path = str(index["path"].iloc[i])
        mask = read_mask(mask_file_for(args.out, path))
        images.append(read_image(path))
        masks.append(mask)
        titles.append(f"{'/'.join(Path(path).parts[-3:])}  fg {mask.mean():.0%}")
    heading = f"{args.index.parent.name}/{args.index.stem}: {json.dumps(dataclasses.asdict(setting))}"
    contact_sheet(images, masks, titles, args.sheet, heading=heading)
