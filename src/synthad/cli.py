"""``synthad <stage>``: one sub-command per pipeline stage.

Snakemake rules, DVC stages, tests and people all run the same commands. Each stage lives in
``synthad.stages.<module>`` and exposes ``add_arguments(parser)`` and ``run(args)``; modules are
imported only when their stage runs, so ``synthad --help`` stays fast (no torch import).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from synthad.errors import SynthADError

# stage name -> (module under synthad.stages, one-line help)
STAGES: dict[str, tuple[str, str]] = {
    "demo": ("demo", "generate the embedded demo data set (MVTec layout) deterministically"),
    "download": ("download", "download a registered data set (resumable, checksummed) or link a local copy"),
    "index": ("index", "write the index CSV of one category of a data set"),
    "rto": ("rto", "derive a MAD-RTO-style data set: object images rotated and shifted, masks alike"),
    "masks": ("masks", "compute foreground masks of one category and a contact sheet"),
    "textures": ("textures", "build the texture bank: built-in (DTD stand-in, offline) or DTD linked in"),
    "natural": ("natural", "build the natural-image bank: built-in photo crops or a folder (ImageNet, VOC)"),
    "sdas-train": ("sdas_train", "train RealNet's SDAS diffusion model on one category's good images"),
    "sdas-sample": ("sdas_sample", "sample a category's SDAS anomaly bank (noise inflated by sqrt(1+s))"),
    "sdas-sheet": ("sdas_sheet", "draw SDAS samples at s = 0, 0.1, 0.2 beside real images"),
    "sia-import": ("sia_import", "link RealNet's released SIA images of one category as its SDAS bank"),
    "synthesis-sheet": ("synthesis_sheet", "draw each paper's synthetic anomalies on one category"),
    "bank-sheet": ("bank_sheet", "draw a contact sheet of random images of an anomaly bank"),
    "pretrain": ("pretrain", "run a method's separate pre-training phase (SLSG's GPT-Net) on one category"),
    "train": ("train", "train one method on one category with one seed"),
    "evaluate": ("evaluate", "score the test split with a trained model and compute every metric"),
    "aggregate": ("aggregate", "collect every metrics.json into results/metrics.csv"),
    "tables": ("tables", "render summary, unified and paper tables (claimed | ours | delta), CSV and LaTeX"),
    "figures": ("figures", "plot anomaly maps next to ground truth for a few test images"),
    "plots": ("plots", "plot ROC curves, box plots, map grids and training curves comparing the methods"),
    "report": ("report", "assemble tables and figures into reports/report.tex and a standalone report.html"),
    "params": ("params", "validate params.yaml and print the resolved configuration"),
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one sub-parser per stage (stage modules load lazily)."""
    parser = argparse.ArgumentParser(prog="synthad", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="stage", metavar="<stage>", required=True)
    for name, (_, help_text) in STAGES.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``synthad`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or argv[0] not in STAGES:
        parser.parse_args(argv)  # prints usage / the unknown-stage error and exits
        return 2
    module_name, help_text = STAGES[argv[0]]
    module = importlib.import_module(f"synthad.stages.{module_name}")
    stage_parser = argparse.ArgumentParser(prog=f"synthad {argv[0]}", description=help_text)
    module.add_arguments(stage_parser)
    args = stage_parser.parse_args(argv[1:])
    try:
        module.run(args)
    except SynthADError as exc:
        print(f"synthad {argv[0]}: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
