"""``synthad index``: write the index CSV of one category of a data set.

``synthad index --source KEY --category CAT --raw data/raw/<name>/source.json
--out data/index/<name>/<cat>.csv [--verify] [--resize squash|pad|crop] [--no-pixel-masks]``

The data root comes from ``source.json`` (written by ``synthad download`` or ``synthad demo``);
the data set's layout adapter turns the category folder into rows, which are validated and written
atomically (:func:`synthad.data.index.write_index`). ``--verify`` (the pipeline passes it) also
decodes every image and mask (:func:`synthad.data.loader.verify_files`), so that a corrupt file
stops the pipeline here, before any training; ``--out`` is written only when all of them decode.
``--resize`` (the data-set entry's ``resize``) is recorded in the index, so training, evaluation
and figures bring the images to the square the same way (:mod:`synthad.utils.geometry`).
``--no-pixel-masks`` (the entry's ``pixel_masks: false``, ``folder`` data sets only) writes an
image-level index: defective images without masks, evaluated on image metrics only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthad.errors import ConfigError, DataError
from synthad.stages.options import output_path, with_dataset_keys
from synthad.utils.io import atomic_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad index``."""
    parser.add_argument("--source", required=True,
                        help=with_dataset_keys("registry key of the data set", derived=True))
    parser.add_argument("--category", required=True, help="one category of the data set")
    parser.add_argument("--raw", required=True, type=Path, help="data/raw/<name>/source.json")
    parser.add_argument("--out", required=True, type=output_path, help="data/index/<name>/<category>.csv")
    parser.add_argument("--resize", default="squash",
                        help="how non-square images become squares: squash, pad or crop (in the index)")
    parser.add_argument("--no-pixel-masks", action="store_true",
                        help="image-level data set: defective images have no mask (folder data sets only)")
    parser.add_argument("--verify", action="store_true",
                        help="decode every image and mask before writing --out (the pipeline does)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> None:
    """Build, validate (and verify) and write the index; print the counts per split and label."""
    from synthad.data.download import read_source  # deferred: keeps `--help` fast
    from synthad.data.layouts import build_index
    from synthad.data.loader import verify_files
    from synthad.data.registry import get_dataset
    from synthad.utils.geometry import RESIZE_MODES  # here, not at the top: it loads OpenCV

    if args.resize not in RESIZE_MODES:
        raise ConfigError(f"--resize {args.resize!r}: expected one of {', '.join(RESIZE_MODES)}")
    spec = get_dataset(args.source)
    if args.category == "all":
        raise DataError("--category: give one category; `all` is expanded by the workflow")
    source = read_source(args.raw)
    if source["dataset"] != spec.key:
        raise DataError(f"{args.raw}: describes data set {source['dataset']!r}, not --source {spec.key!r}")
    # The index is built into a temporary file that replaces --out only once verified: a failed
    # verification writes no index for a later stage to trust (like every atomic output, it
    # leaves an earlier --out as it was).
    with atomic_path(args.out) as unverified:
        frame = build_index(spec, source["root"], args.category, unverified, args.resize,
                            pixel_masks=not args.no_pixel_masks)
        if args.verify:
            verify_files(frame, progress=not args.no_progress)
    counts = frame.groupby(["split", "label"]).size().to_dict()
    summary = ", ".join(f"{split}/{'defective' if label else 'good'}: {n}"
                        for (split, label), n in counts.items())
    verified = "; all decode" if args.verify else ""
    print(f"{spec.key}/{args.category}: {len(frame)} images ({summary}){verified}; wrote {args.out}")
