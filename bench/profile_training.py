r"""Where each method's training time goes: ``synthad train`` under py-spy, split into phases -> JSON.

Runs the pipeline's own ``synthad train`` for each method (its ``params.yaml`` demo budget, one
demo category, one seed, one thread) under the sampling profiler `py-spy
<https://github.com/benfred/py-spy>`_ and sorts every sample's Python stack into one phase:

======================  ===============================================================
phase                   a sample is counted here when its stack contains ...
======================  ===============================================================
startup                 module imports (``_find_and_load``) -- interpreter and torch start
checkpointing           ``save_training_state`` / ``save_torch`` / ``torch.save``
threshold               scoring the held-out good images after ``fit`` (the decision threshold)
backward                ``torch.autograd`` / ``Tensor.backward``
optimizer               ``torch.optim``
synthesis               ``synthad/synthesis/``, ``synthad/banks/`` (anomaly generation, bank reads)
data                    image decoding and resizing (``synthad/data/``, ``synthad/utils/image*``)
forward                 ``torch.nn`` module calls and the rest of the method's own code
other                   anything else (argument parsing, JSON, logging)
======================  ===============================================================

The first matching row wins, top to bottom, so a backward pass inside a checkpointed step is
``checkpointing`` only if it happens inside the save. py-spy samples the Python stack also while
C++ kernels run, so a convolution counts for the Python line that called it.

Needs the demo data, masks and built-in banks (see ``bench/sweep_demo.py``) and ``py-spy`` on
``PATH`` (``pip install py-spy``; it is a benchmark tool, not a dependency). ``--epochs-scale``
shortens every method's budget by the same factor to profile faster: the split per step does not
depend on the number of epochs, only the start-up share grows. Example::

    python bench/profile_training.py --category circuit --out bench/results/profile_training.json
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from sweep_demo import ROOT, command_args

from synthad.utils.io import write_json

PHASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("startup", ("_find_and_load (",)),
    ("checkpointing", ("save_training_state", "save_torch", "torch/serialization.py")),
    ("threshold", ("holdout", "threshold")),
    ("backward", ("torch/autograd/", "backward (torch/_tensor.py")),
    ("optimizer", ("torch/optim/",)),
    ("synthesis", ("synthad/synthesis/", "synthad/banks/")),
    ("data", ("synthad/data/", "synthad/utils/image", "cv2")),
    ("forward", ("torch/nn/", "synthad/methods/", "synthad/nn/")),
)
# The budget field of each method that --epochs-scale shortens.
BUDGET_FIELDS = ("epochs", "steps", "phase1_epochs", "phase2_epochs", "imm_epochs", "alm_epochs",
                 "pretrain_epochs")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--methods", nargs="+", help="registry keys (default: params.yaml `methods`)")
    parser.add_argument("--category", default="circuit", help="demo category to train on")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs-scale", type=float, default=1.0, help="multiply every budget field by this")
    parser.add_argument("--rate", type=int, default=50, help="py-spy samples per second")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "profile_training.json")
    return parser.parse_args(argv)


def phase_of(stack: str) -> str:
    """The phase of one sample's stack (frames joined by ``;``, outermost first)."""
    for phase, needles in PHASES:
        if any(needle in stack for needle in needles):
            return phase
    return "other"


def split_samples(raw: str) -> dict[str, int]:
    """py-spy's ``raw`` (collapsed-stack) output -> samples per phase."""
    counts: collections.Counter[str] = collections.Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            counts[phase_of(stack)] += int(count)
    return dict(counts)


def scaled(params: dict, scale: float) -> dict:
    """``params`` with every budget field multiplied by ``scale`` (at least 1)."""
    return {key: max(1, round(value * scale)) if key in BUDGET_FIELDS and isinstance(value, int) else value
            for key, value in params.items()}


def profile_method(method: str, params: dict, category: str, seed: int, rate: int) -> dict:
    """Train one run under py-spy; returns its phase split (fractions) and wall seconds."""
    with tempfile.TemporaryDirectory(prefix=f"profile_{method}_") as tmp:
        run, raw = Path(tmp), Path(tmp) / "samples.txt"
        train = command_args(method, params, category, seed, run)[0]
        start = time.perf_counter()
        spy = ["py-spy", "record", "--rate", str(rate), "--format", "raw", "--output", str(raw), "--"]
        subprocess.run(spy + train, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - start
        samples = split_samples(raw.read_text())
    total = sum(samples.values()) or 1
    phases = [phase for phase, _ in PHASES] + ["other"]
    return {"method": method, "category": category, "seed": seed, "wall_seconds": round(wall, 1),
            "samples": total, "params": params,
            "split": {phase: round(samples.get(phase, 0) / total, 4) for phase in phases}}


def main(argv: list[str] | None = None) -> int:
    """Profile every method and write ``--out``."""
    args = parse_args(argv)
    if shutil.which("py-spy") is None:
        sys.exit("profile_training: py-spy is not on PATH (pip install py-spy)")
    params_yaml = yaml.safe_load((ROOT / "params.yaml").read_text())
    rows = []
    for method in args.methods or params_yaml["methods"]:
        params = scaled(params_yaml["method_params"].get(method) or {}, args.epochs_scale)
        rows.append(profile_method(method, params, args.category, args.seed, args.rate))
        print(json.dumps({k: rows[-1][k] for k in ("method", "wall_seconds", "split")}), flush=True)
    write_json(args.out, {"epochs_scale": args.epochs_scale, "rate": args.rate, "runs": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
