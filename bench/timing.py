"""What the benchmark scripts share: the timing loops, the common options and the JSON header.

The scripts run as ``python bench/bench_<method>.py``, which puts ``bench/`` on ``sys.path``, so they
import this module as ``from timing import ...``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch

from synthad.utils.io import write_json

SIZE_HELP = "paper-config resolution and inference input size"
STEPS_HELP = "timed training steps per configuration"
N_TRAIN_HELP = "training images (for the implied epoch time)"


def synchronize(device: torch.device) -> None:
    """Wait for queued CUDA kernels, so a clock read after it covers their work (no-op elsewhere)."""
    if device.type == "cuda":
        torch.cuda.synchronize()


def median_seconds(step: Callable[[], object], steps: int, device: torch.device) -> float:
    """Median wall seconds of ``step()`` over ``steps`` timed calls.

    One untimed call comes first: it pays for allocator growth and kernel selection, which later
    steps do not.
    """
    times = []
    for i in range(steps + 1):
        start = time.perf_counter()
        step()
        synchronize(device)
        if i:
            times.append(time.perf_counter() - start)
    # The upper middle value for an even count, as the scripts reported before this module existed.
    return statistics.median_high(times)


def rate_after_warmup(warm_up: Callable[[], object], timed: Callable[[], object], count: int,
                      device: torch.device) -> float:
    """``count`` divided by the wall seconds of one ``timed()`` call, made after one ``warm_up()`` call."""
    warm_up()
    synchronize(device)
    start = time.perf_counter()
    timed()
    synchronize(device)
    return count / (time.perf_counter() - start)


def images_per_second(predict: Callable[[torch.Tensor], object], images: torch.Tensor, warmup: int,
                      device: torch.device) -> float:
    """Throughput of ``predict(images)``, after warming up on the first ``warmup`` images."""
    return rate_after_warmup(lambda: predict(images[:warmup]), lambda: predict(images), len(images), device)


def _add_device_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--device", default="cpu")


def _add_out(p: argparse.ArgumentParser, method: str) -> None:
    p.add_argument("--out", type=Path, default=Path(f"bench/results/{method}.json"))


def device_parser(doc: str, method: str) -> argparse.ArgumentParser:
    """Parser with ``--threads``, ``--device`` and ``--out`` (default ``bench/results/<method>.json``).

    ``doc`` is the script's module docstring; its first line is the description.
    """
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    _add_device_options(p)
    _add_out(p, method)
    return p


def base_parser(doc: str, method: str, *, steps: int, infer_images: int, steps_help: str = STEPS_HELP,
                size_help: str = SIZE_HELP, n_train_help: str | None = N_TRAIN_HELP,
                ) -> argparse.ArgumentParser:
    """:func:`device_parser`'s options plus those of the paper/demo training benchmarks.

    These are ``--size`` (256), ``--steps``, ``--n-train`` (80; left out where ``n_train_help`` is
    None), ``--infer-images`` and ``--skip-paper``. Defaults and help texts that differ between
    scripts are arguments, so every script keeps its own.
    """
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    # Added in the order the scripts always listed them, so ``--help`` reads as before.
    p.add_argument("--size", type=int, default=256, help=size_help)
    p.add_argument("--steps", type=int, default=steps, help=steps_help)
    _add_device_options(p)
    if n_train_help is not None:
        p.add_argument("--n-train", type=int, default=80, help=n_train_help)
    p.add_argument("--infer-images", type=int, default=infer_images)
    p.add_argument("--skip-paper", action="store_true", help="only the demo configuration")
    _add_out(p, method)
    return p


def setup(args: argparse.Namespace) -> torch.device:
    """Apply ``--threads`` and return the ``--device`` to run on."""
    torch.set_num_threads(args.threads)
    return torch.device(args.device)


def machine_name() -> str:
    """The processor name, or the architecture where the platform reports none (Linux often does not)."""
    return platform.processor() or platform.machine()


def header(method: str, args: argparse.Namespace, **extra: object) -> dict:
    """The fields every result file starts with, plus ``extra``.

    The key names are fixed: ``bench/results/*.json`` and the READMEs refer to them.
    """
    return {
        "method": method, "device": str(torch.device(args.device)), "threads": args.threads,
        "torch": torch.__version__, "machine": machine_name(), **extra,
    }


def print_row(row: dict) -> dict:
    """Print one result row as a JSON line (flushed: a long run shows progress) and return it."""
    print(json.dumps(row), flush=True)
    return row


def write_results(method: str, args: argparse.Namespace, rows: list[dict], **extra: object) -> None:
    """Write :func:`header` with ``results=rows`` and ``extra`` to ``args.out``, and say so."""
    write_json(args.out, header(method, args, results=rows, **extra))
    print(f"wrote {args.out}")
