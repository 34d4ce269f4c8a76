"""``synthad download``: fetch a registered data set, or register a local copy.

``synthad download --dataset KEY --out data/raw/<name> [--path DIR]``

Without ``--path`` the official archive is downloaded to ``<out>/archives/`` or ``--archives``
(resumable, checked against the registered checksum) and extracted to ``<out>/data/``. With
``--path`` nothing is downloaded: the folder is checked and recorded. Either way
``<out>/source.json`` names the data root, which ``synthad index`` reads.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthad.stages.options import output_path, with_dataset_keys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad download``."""
    parser.add_argument("--dataset", required=True, help=with_dataset_keys("registry key"))
    parser.add_argument("--out", required=True, type=output_path, help="output folder, data/raw/<name>")
    parser.add_argument("--path", type=Path, help="a local copy to use instead of downloading")
    parser.add_argument("--archives", type=output_path,
                        help="folder for the downloaded archives (default <out>/archives); keep it "
                             "outside --out where failed outputs are deleted, so a rerun resumes")


def run(args: argparse.Namespace) -> None:
    """Prepare the data set and write ``<out>/source.json``."""
    from synthad.data.download import prepare_dataset  # deferred: keeps `--help` fast
    from synthad.data.registry import get_dataset

    spec = get_dataset(args.dataset)
    root = prepare_dataset(spec, args.out, path=args.path, archive_dir=args.archives)
    how = "registered local copy" if args.path is not None else "downloaded and verified"
    print(f"{spec.title}: {how}; data root {root}; wrote {args.out / 'source.json'}")
