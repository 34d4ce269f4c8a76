"""ONNX export of a trained method's ``predict``, checked against ``predict`` with onnxruntime.

The graph is what ``predict`` computes on a batch already at the method's ``image_size`` ``S``:

* input ``image``: ``(B, 3, S, S)`` float32 RGB in ``[0, 1]`` (NCHW), ``B`` dynamic;
* outputs ``score`` ``(B,)`` and ``map`` ``(B, S, S)``, as ``Prediction.scores`` / ``.maps``.

:class:`PredictGraph` wraps any :class:`~synthad.methods.base.Method`, so every method exports
through its own ``predict`` (one implementation of each method's inference, no copy to drift).
``predict`` resizes to ``S`` and back only when the sizes differ, and its chunking is switched off
while exporting (:func:`~synthad.methods.inference.split_unless_exporting`), so the graph holds
the method's computation alone.

**Exporter**: ``torch.onnx.export(..., dynamo=True)`` (``torch.export``, then onnxscript). The
TorchScript path (``dynamo=False``, torch 2.14) fails on three of the eight methods: NDP-Net's
``F.fold`` and PatchCore's channel ``adaptive_avg_pool1d`` have no symbolic for a dynamic batch,
and RealNet's BatchNorm after a concatenation loses its channel count; its tracer also turns any
Python ``int`` taken from a shape into a constant. ``torch.export`` keeps the batch size symbolic;
where it cannot, it falls back to a fixed batch size without failing, so :func:`export_onnx`
checks the saved graph's batch axis, and its outputs against ``predict`` on a batch of another
size than the traced one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from synthad.errors import ExportError
from synthad.methods.base import Method

INPUT = "image"
OUTPUTS = ("score", "map")
OPSET = 20  # the dynamo exporter's default in torch 2.14
TOLERANCE = 1e-4  # |onnx - predict| <= TOLERANCE * (1 + |predict|), score and map alike
EXAMPLE_BATCH = 2  # images the graph is traced with
CHECK_BATCH = 4  # images the parity check runs: another size than the traced one
CHECK_SEED = 0


class PredictGraph(nn.Module):
    """``method.predict`` as a module: ``image (B, 3, S, S)`` -> ``score (B,)``, ``map (B, S, S)``.

    The method's networks (its ``nn.Module`` attributes) are registered as sub-modules, so their
    weights become named initializers of the graph instead of anonymous constants.

    Args:
        method: A trained method (on the CPU).
        example: ``(b, 3, S, S)`` images; ``predict`` runs on them once here, so what it builds on
            first use (DMP's merged kernels) exists before tracing and is not traced.
    """

    def __init__(self, method: Method, example: torch.Tensor):
        super().__init__()
        self.method = method
        with torch.no_grad():
            method.predict(example)
        self.networks = nn.ModuleDict({name: value for name, value in vars(method).items()
                                       if isinstance(value, nn.Module)})
        self.eval()

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``image (B, 3, S, S)`` in ``[0, 1]`` -> ``(score (B,), map (B, S, S))``."""
        prediction = self.method.predict(image)
        return prediction.scores, prediction.maps


def input_size(method: Method) -> int:
    """The side ``S`` the method scores images at (its config's ``image_size``).

    Raises:
        ExportError: The method's config has no ``image_size``.
    """
    size = getattr(method.config, "image_size", None)
    if not isinstance(size, int):
        raise ExportError(f"method {method.key!r}: its config has no image_size, the graph's input side")
    return size


def check_images(size: int, count: int = CHECK_BATCH) -> torch.Tensor:
    """``count`` seeded uniform-noise images ``(count, 3, size, size)`` in ``[0, 1]`` for the checks."""
    return torch.rand(count, 3, size, size, generator=torch.Generator().manual_seed(CHECK_SEED))


def export_onnx(method: Method, path: str | Path) -> dict[str, Any]:
    """Export ``method``'s ``predict`` to ``path`` and check it with onnxruntime (module docstring).

    Nothing is written unless the check passes. The weights are stored inside the file; past
    1.5 GB (torch's margin below protobuf's 2 GB limit; RealNet at the paper's size) they go to
    ``<file>.data`` beside it, which the file names.

    Args:
        method: A trained method on the CPU.
        path: The ``.onnx`` file to write.

    Returns:
        ``{"external_data": file name or None, "check_images": n, "max_score_diff": float,
        "max_map_diff": float}``.

    Raises:
        ExportError: The exporter failed, fixed the batch size, or the graph disagrees with
            ``predict`` beyond :data:`TOLERANCE`.
    """
    path = Path(path)
    size = input_size(method)
    program = _trace(method, check_images(size, EXAMPLE_BATCH))
    with _staged(path) as staged:
        program.save(staged)  # weights inside the file, unless they exceed 1.5 GB
        external = sorted(p.name for p in staged.parent.iterdir() if p != staged)
        diffs = check_parity(method, staged, check_images(size))
    return {"external_data": external[0] if external else None, "check_images": CHECK_BATCH} | diffs


def _trace(method: Method, example: torch.Tensor) -> Any:
    """The ``torch.onnx.ONNXProgram`` of :class:`PredictGraph` with a dynamic batch axis."""
    graph = PredictGraph(method, example)
    batch = torch.export.Dim("batch", min=1)
    try:
        return torch.onnx.export(graph, (example,), input_names=[INPUT], output_names=list(OUTPUTS),
                                 opset_version=OPSET, dynamo=True, dynamic_shapes={INPUT: {0: batch}},
                                 verbose=False)
    except Exception as exc:  # the exporter raises many types; the first line says which op
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExportError(f"method {method.key!r}: torch.onnx.export failed: {first}") from exc


@contextlib.contextmanager
def _staged(path: Path) -> Iterator[Path]:
    """Yield ``path``'s name in a temporary folder beside it; move its files onto ``path`` on success.

    The model file moves last, after the external data file it refers to (by name), if any.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        yield staging / path.name
        for file in sorted(staging.iterdir(), key=lambda p: p.name == path.name):
            os.replace(file, path.parent / file.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def run_onnx(path: str | Path, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run an exported graph with onnxruntime on the CPU.

    Args:
        path: The ``.onnx`` file.
        images: ``(B, 3, S, S)`` float32 in ``[0, 1]``.

    Returns:
        ``score (B,)`` and ``map (B, S, S)``.
    """
    session = _session(path)
    scores, maps = session.run(list(OUTPUTS), {INPUT: images.astype(np.float32)})
    return scores, maps


def _session(path: str | Path) -> Any:
    import onnxruntime  # deferred: only export and its checks need it

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: unused-initializer notes are not the user's business
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def check_parity(method: Method, path: str | Path, images: torch.Tensor) -> dict[str, float]:
    """Compare the graph at ``path`` with ``method.predict`` on ``images`` ``(B, 3, S, S)``.

    Returns:
        ``{"max_score_diff": float, "max_map_diff": float}`` (largest absolute differences).

    Raises:
        ExportError: The graph's batch axis is fixed, or an output differs beyond :data:`TOLERANCE`
            (relative above 1, absolute below) or has another shape.
    """
    batch_axis = _session(path).get_inputs()[0].shape[0]
    if not isinstance(batch_axis, str):
        raise ExportError(f"method {method.key!r}: the exporter fixed the batch size at {batch_axis}"
                          " (a Python int taken from a tensor's shape in predict?)")
    scores, maps = run_onnx(path, images.numpy())
    with torch.no_grad():
        expected = method.predict(images)
    diffs = {}
    for name, got, want in (("score", scores, expected.scores), ("map", maps, expected.maps)):
        want = want.float().numpy()
        if got.shape != want.shape:
            raise ExportError(f"method {method.key!r}: ONNX {name} has shape {got.shape},"
                              f" predict {want.shape}")
        diff = np.abs(got - want)
        diffs[f"max_{name}_diff"] = float(diff.max())
        if not np.all(diff <= TOLERANCE * (1 + np.abs(want))):
            raise ExportError(f"method {method.key!r}: ONNX {name} differs from predict by up to"
                              f" {diff.max():.3g} (tolerance {TOLERANCE:g})")
    return diffs
