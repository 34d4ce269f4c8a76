"""``synthad index``: write the index CSV of one category of a data set.

``synthad index --source KEY --category CAT --raw data/raw/<name>/source.json
--out data/index/<name>/<cat>.csv``

The data root comes from ``source.json`` (written by ``synthad download`` or ``synthad demo``);
the data set's layout adapter turns the category folder into rows, which are validated and written
atomically (:func:`synthad.data.index.write_index`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthad.errors import DataError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad index``."""
    parser.add_argument("--source", required=True, help="registry key of the data set, e.g. mvtec_ad")
    parser.add_argument("--category", required=True, help="one category of the data set")
    parser.add_argument("--raw", required=True, type=Path, help="data/raw/<name>/source.json")
    parser.add_argument("--out", required=True, type=Path, help="data/index/<name>/<category>.csv")


def run(args: argparse.Namespace) -> None:
    """Build, validate and write the index; print the counts per split and label."""
    from synthad.data.download import read_source  # deferred: keeps `--help` fast
    from synthad.data.layouts import build_index
    from synthad.data.registry import get_dataset

    spec = get_dataset(args.source)
    if args.category == "all":
        raise DataError("--category: give one category; `all` is expanded by the workflow")
    source = read_source(args.raw)
    if source["dataset"] != spec.key:
        raise DataError(f"{args.raw}: describes data set {source['dataset']!r}, not --source {spec.key!r}")
    frame = build_index(spec, source["root"], args.category, args.out)
    counts = frame.groupby(["split", "label"]).size().to_dict()
    summary = ", ".join(f"{split}/{'defective' if label else 'good'}: {n}"
                        for (split, label), n in counts.items())
    print(f"{spec.key}/{args.category}: {len(frame)} images ({summary}); wrote {args.out}")
