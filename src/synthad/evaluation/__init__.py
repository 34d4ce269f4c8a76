"""Evaluation: image/pixel AUROC, AP and F1-max, exact AU-PRO, and scoring a trained run.

:mod:`.metrics` and :mod:`.aupro` are pure NumPy/scikit-learn functions on arrays;
:mod:`.evaluate` runs a trained method over a test split and writes ``scores.csv``, ``maps.npz``
and ``metrics.json`` (DESIGN.md, "Data flow").
"""

from synthad.evaluation.aupro import aupro, pro_curve
from synthad.evaluation.metrics import (
    auroc,
    average_precision,
    f1_max,
    image_metrics,
    pixel_metrics,
)

__all__ = ["aupro", "auroc", "average_precision", "f1_max", "image_metrics", "pixel_metrics", "pro_curve"]
