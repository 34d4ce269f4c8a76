"""Time every evaluation metric on one category-sized case and write ``bench/results/metrics.json``.

Case: 100 test images of 256x256, about half defective with 1-3 random elliptic blobs each, maps =
noise plus a weaker blob response (so curves are non-trivial and scores are mostly distinct).

Usage::

    python bench/bench_metrics.py [--images 100] [--size 256] [--repeats 3] [--sklearn-reference]
        [--out bench/results/metrics.json]
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np

from synthad.evaluation.aupro import aupro
from synthad.evaluation.metrics import auroc, average_precision, f1_max, pixel_metrics
from synthad.utils.io import write_json


def make_case(n: int, size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Random masks ``(n, size, size)`` bool, maps float32, image labels ``(n,)`` and scores ``(n,)``."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    masks = np.zeros((n, size, size), bool)
    labels = (np.arange(n) % 2).astype(int)
    for i in np.flatnonzero(labels):
        for _ in range(rng.integers(1, 4)):
            cy, cx = rng.integers(0, size, 2)
            ry, rx = rng.integers(3, size // 8, 2)
            masks[i] |= ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
    maps = (rng.random(masks.shape) + 0.6 * masks * rng.random((n, 1, 1))).astype(np.float32)
    return masks, maps, labels, maps.reshape(n, -1).max(1)


def time_call(fn, repeats: int) -> tuple[float, float]:
    """Best wall time over ``repeats`` calls, and the value returned."""
    best, value = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def main() -> None:
    """Run the benchmark and write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sklearn-reference", action="store_true", help="also time sklearn pixel metrics")
    parser.add_argument("--out", type=Path, default=Path("bench/results/metrics.json"))
    args = parser.parse_args()
    masks, maps, labels, scores = make_case(args.images, args.size)
    calls = {
        "image_auroc": lambda: auroc(labels, scores),
        "image_ap": lambda: average_precision(labels, scores),
        "image_f1_max": lambda: f1_max(labels, scores),
        "pixel_metrics": lambda: pixel_metrics(masks, maps),  # AUROC + AP + F1-max, one sort
        "pixel_aupro": lambda: aupro(masks, maps, 0.3),
    }
    if args.sklearn_reference:  # the same pixel numbers through sklearn, one sort each
        calls |= {
            "sklearn_pixel_auroc": lambda: auroc(masks, maps, "pixel"),
            "sklearn_pixel_ap": lambda: average_precision(masks, maps, "pixel"),
            "sklearn_pixel_f1_max": lambda: f1_max(masks, maps, "pixel"),
        }
    results = {}
    for name, fn in calls.items():
        seconds, value = time_call(fn, args.repeats)
        results[name] = {"seconds": round(seconds, 4), "value": value}
        shown = value if isinstance(value, dict) else {name: value}
        print(f"{name:22s} {seconds:8.3f} s  " + " ".join(f"{k}={v:.6f}" for k, v in shown.items()))
    # The evaluate stage computes image metrics, pixel_metrics and AU-PRO once each.
    total = sum(r["seconds"] for k, r in results.items() if not k.startswith("sklearn_"))
    print(f"{'total (evaluate stage)':22s} {total:8.3f} s")
    write_json(args.out, {
        "case": {"images": args.images, "size": args.size, "defective": int(labels.sum()),
                 "pixels": int(masks.size), "defect_pixels": int(masks.sum()), "repeats": args.repeats},
        "metrics": results, "total_seconds": round(total, 4),
        "machine": {"python": platform.python_version(), "processor": platform.machine(),
                    "numpy": np.__version__},
    })


if __name__ == "__main__":
    main()
