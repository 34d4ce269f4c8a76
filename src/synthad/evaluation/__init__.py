"""Evaluation: image/pixel AUROC, AP and F1-max, exact AU-PRO and AU-sPRO, and scoring a trained run.

:mod:`.metrics`, :mod:`.aupro` and :mod:`.spro` are pure NumPy/scikit-learn functions on arrays
(:mod:`.loco` applies them per anomaly kind);
:mod:`.evaluate` runs a trained method over a test split and writes ``scores.csv``, ``maps.npz``
and ``metrics.json`` (docs/evaluation.md#files-of-a-run).
"""

from synthad.evaluation.aupro import aupro, pro_curve
from synthad.evaluation.metrics import (
    auroc,
    average_precision,
    f1_max,
    image_metrics,
    pixel_metrics,
)
from synthad.evaluation.spro import auspro, spro_curve

__all__ = ["aupro", "auroc", "auspro", "average_precision", "f1_max", "image_metrics", "pixel_metrics",
           "pro_curve", "spro_curve"]
