"""``synthad sdas-classifier``: train the noisy classifier of SDAS's classifier guidance.

RealNet's official sampler guides each reverse step with a classifier of the data set's categories
trained on noised images (``train_classifier.py``; :mod:`synthad.synthesis.noisy_classifier`). Takes
the same ``--index`` list as ``synthad sdas-train`` (class ``i`` = the ``i``-th, two or more) and
writes to ``--out`` (``data/banks/diffusion/<dataset>/classifier/``): ``classifier.json``,
``classifier.safetensors``, ``classes.json``, ``train_log.csv`` (cross-entropy and accuracy on the
noised training batches) and ``train_info.json``. Resumes like ``sdas-train``.
"""

from __future__ import annotations

import argparse
import time

from synthad.stages.options import output_path
from synthad.stages.sdas_options import (
    add_index_arguments,
    add_sdas_arguments,
    load_class_images,
    start_sdas,
    state_path,
    train_info,
    write_trained_folder,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad sdas-classifier``."""
    add_index_arguments(parser)
    parser.add_argument("--out", required=True, type=output_path,
                        help="classifier folder, e.g. data/banks/diffusion/demo/classifier")
    add_sdas_arguments(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> None:
    """Train and write the classifier folder (see the module docstring)."""
    from synthad.synthesis.noisy_classifier import save_classifier, train_classifier  # imports diffusers

    cfg, device = start_sdas(args)
    images, labels, classes = load_class_images(args.index, cfg.image_size)
    rows: list[dict] = []
    state = state_path(args.out)
    start = time.perf_counter()
    classifier = train_classifier(
        images, labels, len(classes), cfg, seed=args.seed, device=device, checkpoint_path=state,
        log=lambda step, row: rows.append({"step": step, **row}), progress=not args.no_progress)
    seconds = time.perf_counter() - start
    write_trained_folder(args.out, lambda tmp: save_classifier(classifier, tmp), classes, rows,
                         ["step", "loss", "accuracy"], train_info(seconds, len(images), device))
    state.unlink(missing_ok=True)
    last = f", last accuracy {rows[-1]['accuracy']:.2f}" if rows else ""
    print(f"trained the SDAS classifier on {len(images)} images of {len(classes)} categories in "
          f"{seconds:.0f} s{last} -> {args.out}")
