"""``synthad <stage>``: one sub-command per pipeline stage.

Snakemake rules, DVC stages, tests and people all run the same commands. Each stage lives in
``synthad.stages.<module>`` and exposes ``add_arguments(parser)`` and ``run(args)``; modules are
imported only when their stage runs, so ``synthad --help`` stays fast (no torch import).

A stage ends in one line on stderr, never a traceback, for what a user can cause or fix: a
:class:`~synthad.errors.SynthADError`, an ``OSError`` (disk full, read-only folder, missing file:
the line names the file) and Ctrl-C (exit code 130, as a shell reports SIGINT; outputs are written
atomically, so an interrupted stage leaves none half-written).
"""

from __future__ import annotations

import argparse
import copy
import importlib
import sys
from importlib.metadata import PackageNotFoundError, version

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
    "sdas-train": ("sdas_train", "train RealNet's class-conditional SDAS diffusion model of a data set"),
    "sdas-classifier": ("sdas_classifier", "train the noisy classifier of SDAS's classifier guidance"),
    "sdas-sample": ("sdas_sample", "sample a category's SDAS anomaly bank (noise inflated by sqrt(1+s))"),
    "sdas-sheet": ("sdas_sheet", "draw SDAS samples at s = 0, 0.1, 0.2 beside real images"),
    "sia-import": ("sia_import", "link RealNet's released SIA images of one category as its SDAS bank"),
    "synthesis-sheet": ("synthesis_sheet", "draw each paper's synthetic anomalies on one category"),
    "bank-sheet": ("bank_sheet", "draw a contact sheet of random images of an anomaly bank"),
    "pretrain": ("pretrain", "run a method's separate pre-training phase (SLSG's GPT-Net) on one category"),
    "train": ("train", "train one method on one category with one seed"),
    "evaluate": ("evaluate", "score the test split with trained models (every seed) and compute all metrics"),
    "predict": ("predict", "decide defective or not for new images with a trained run; heat-map overlays"),
    "export": ("export", "write a trained run as one ONNX file (checked against predict) and a JSON sidecar"),
    "aggregate": ("aggregate", "collect every metrics.json into results/metrics.csv"),
    "tables": ("tables", "render summary, unified and paper tables (claimed | ours | delta), CSV and LaTeX"),
    "figures": ("figures", "plot anomaly maps next to ground truth for a few test images"),
    "plots": ("plots", "plot ROC curves, box plots, map grids and training curves comparing the methods"),
    "dvc-data": ("dvc_data", "write the headline metrics JSON and plot data (ROC, losses) dvc.yaml declares"),
    "report": ("report", "assemble tables and figures into reports/report.tex and a standalone report.html"),
    "results-doc": ("results_doc", "write docs/results.md (and a PNG of its first table) from results/"),
    "costs": ("costs", "print what the pipeline cost per phase or per method (Snakemake benchmark files)"),
    "params": ("params", "validate params.yaml and print the resolved configuration"),
}

INTERRUPTED = 130  # the exit status shells give a process stopped by SIGINT (128 + 2)


class StageHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` shows each option's default, also for options without a help text.

    Defaults that say nothing (``None``, ``False``, an empty list) are left out.
    """

    def _format_action(self, action: argparse.Action) -> str:
        if not action.help and _has_default(action):
            action = copy.copy(action)  # argparse prints no help line at all for an empty help
            action.help = "(default: %(default)s)"
        return super()._format_action(action)

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if not _has_default(action):
            return action.help
        return super()._get_help_string(action)


def _has_default(action: argparse.Action) -> bool:
    default = action.default
    return bool(action.option_strings) and not action.required and default is not argparse.SUPPRESS \
        and default is not None and default is not False and default != []


def package_version() -> str:
    """The version of the installed ``synthad`` distribution (``unknown`` when run from a bare tree)."""
    try:
        return version("synthad")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one sub-parser per stage (stage modules load lazily)."""
    parser = argparse.ArgumentParser(prog="synthad", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"synthad {package_version()}")
    sub = parser.add_subparsers(dest="stage", metavar="<stage>", required=True)
    for name, (_, help_text) in STAGES.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def build_stage_parser(stage: str) -> tuple[argparse.ArgumentParser, object]:
    """The parser of one stage and its module (imported here: the first cost of running a stage)."""
    module_name, help_text = STAGES[stage]
    module = importlib.import_module(f"synthad.stages.{module_name}")
    parser = argparse.ArgumentParser(prog=f"synthad {stage}", description=help_text,
                                     formatter_class=StageHelpFormatter)
    module.add_arguments(parser)
    return parser, module


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``synthad`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in STAGES:
        build_parser().parse_args(argv)  # prints usage, the version or the unknown-stage error; exits
        return 2
    stage = argv[0]
    try:
        stage_parser, module = build_stage_parser(stage)
        module.run(stage_parser.parse_args(argv[1:]))
    except KeyboardInterrupt:
        print(f"synthad {stage}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except (SynthADError, OSError) as exc:
        print(f"synthad {stage}: error: {describe_error(exc)}", file=sys.stderr)
        return 1
    return 0


def describe_error(exc: Exception) -> str:
    """One line for an error: an ``OSError`` as ``<file>: <reason>``, anything else as its message."""
    if isinstance(exc, OSError) and exc.strerror:
        files = [str(name) for name in (exc.filename, exc.filename2) if name is not None]
        return f"{' -> '.join(files)}: {exc.strerror}" if files else exc.strerror
    return str(exc) or type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
