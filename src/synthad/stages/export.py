r"""``synthad export``: write a trained run as one ONNX file for deployment without SynthAD.

Example::

    synthad export --run results/models/demo/circuit/draem/seed0 --format onnx

The model folder of ``synthad train`` is loaded as ``synthad evaluate`` loads it (on the CPU: the
graph does not depend on the device it was exported on) and exported by
:func:`synthad.methods.export.export_onnx`: ``predict`` on a batch already at the method's
``image_size`` ``S``, input ``image`` ``(B, 3, S, S)`` float32 RGB in ``[0, 1]``, outputs
``score`` ``(B,)`` and ``map`` ``(B, S, S)``, dynamic ``B``. The file is written only when
onnxruntime's outputs match ``predict`` within 1e-4 on a seeded batch of images.

Writes ``--out`` (default ``<run>/model.onnx``; past 1.5 GB of weights ``<out>.data`` beside it)
and the sidecar ``<out>.json`` that tells deployment how to feed the graph: input name, shape,
type, range and resizing, output names and shapes, opset, the run's decision threshold
(``threshold.json``, ``null`` when the run has none) and the parity check's largest differences.
"""

from __future__ import annotations

import argparse
from importlib.metadata import version
from pathlib import Path
from typing import Any

import torch

from synthad.stages.options import output_path

FORMATS = ("onnx",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command-line options of ``synthad export``."""
    parser.add_argument("--run", required=True, type=Path, help="model folder written by `synthad train`")
    parser.add_argument("--format", default="onnx", choices=FORMATS, help="file format")
    parser.add_argument("--out", type=output_path, help="file to write (default: <run>/model.onnx)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch default)")


def run(args: argparse.Namespace) -> None:
    """Export the run and write its sidecar (see the module docstring)."""
    import synthad.methods  # noqa: F401  (registers every method)
    from synthad.evaluation.evaluate import load_model
    from synthad.evaluation.threshold import read_threshold
    from synthad.methods.export import export_onnx, input_size
    from synthad.utils.io import write_json

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    out = args.out or args.run / "model.onnx"
    method, identity, _ = load_model(args.run, torch.device("cpu"))
    threshold, size = read_threshold(args.run), input_size(method)
    check = export_onnx(method, out)
    write_json(sidecar_path(out), sidecar(out, size, identity, threshold, check))
    print(f"{out}: {identity['method']} at {size} px, ONNX outputs within"
          f" {max(check['max_score_diff'], check['max_map_diff']):.2g} of predict -> {sidecar_path(out)}")


def sidecar_path(out: Path) -> Path:
    """``<out>.json``: ``model.onnx`` -> ``model.onnx.json``."""
    return out.with_name(out.name + ".json")


def sidecar(out: Path, size: int, identity: dict, threshold: dict | None, check: dict) -> dict[str, Any]:
    """What deployment needs to feed and read the graph (the module docstring lists it).

    Args:
        out: The ONNX file.
        size: The method's ``image_size`` ``S``.
        identity: The run's ``config.json``.
        threshold: The run's ``threshold.json`` or ``None``.
        check: :func:`~synthad.methods.export.export_onnx`'s result.
    """
    from synthad.methods.export import INPUT, OPSET, OUTPUTS, TOLERANCE

    score, amap = OUTPUTS
    return {
        "format": "onnx", "file": out.name, "external_data": check["external_data"], "opset": OPSET,
        **{key: identity.get(key) for key in ("method", "dataset", "category", "seed")},
        "input": {"name": INPUT, "shape": ["batch", 3, size, size], "dtype": "float32", "layout": "NCHW",
                  "channels": "RGB", "range": [0.0, 1.0],
                  "resize": f"bilinear to {size} x {size} (align_corners=False, no antialiasing), from"
                            " the image as evaluation reads it (evaluation_resolution, evaluation_resize)"},
        "evaluation_resolution": threshold.get("resolution") if threshold else None,
        "evaluation_resize": threshold.get("resize") if threshold else None,
        "output_names": list(OUTPUTS),  # in the graph's order (the sidecar's keys are sorted)
        "outputs": {score: {"shape": ["batch"], "meaning": "image anomaly score, higher = more anomalous"},
                    amap: {"shape": ["batch", size, size],
                           "meaning": "anomaly map at the input's side, higher = more anomalous"}},
        "threshold": threshold["threshold"] if threshold else None,
        "decision": "defective when score > threshold",
        "check": {"images": check["check_images"], "tolerance": TOLERANCE,
                  "max_score_diff": check["max_score_diff"], "max_map_diff": check["max_map_diff"]},
        "versions": {name: version(name) for name in ("torch", "onnxruntime")},
    }
