"""Metrics split by anomaly kind, and AU-sPRO where the index carries saturations (MVTec LOCO).

The LOCO protocol (Bergmann et al., IJCV 2022; docs/evaluation.md) reports image AUROC and AU-sPRO
separately for logical and structural anomalies: each kind's defective test images together with
*all* defect-free test images (the official ``get_auc_spros_per_subdir`` with good images added).

* ``image_auroc_<kind>`` for every kind of the index's ``anomaly_kind`` column (LOCO, the demo);
* where the index has a ``saturation`` column (:mod:`synthad.data.layouts.loco`), AU-sPRO
  integrated to ``spro_fpr_limit``: ``pixel_auspro_<kind>`` per kind; ``pixel_auspro``, the
  official headline of a category, the mean of the per-kind values (the official
  ``get_auc_spro_results``: ``0.5 * (structural + logical)``); and ``pixel_auspro_pooled``, one
  curve over every test image at once (not a number the official evaluation reports).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthad.evaluation.metrics import auroc
from synthad.evaluation.spro import auspro, load_instances


def anomaly_kinds(test_rows: pd.DataFrame) -> list[str]:
    """The anomaly kinds of the defective test rows (``[]`` without an ``anomaly_kind`` column)."""
    if "anomaly_kind" not in test_rows.columns:
        return []
    kinds = test_rows.loc[test_rows["label"] == 1, "anomaly_kind"].astype(str)
    return sorted({k for k in kinds if k and k != "nan"})


def kind_image_aurocs(test_rows: pd.DataFrame, labels: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """``image_auroc_<kind>``: each kind's defective images against every good test image.

    Args:
        test_rows: Test split of the index, in the order of ``labels``/``scores``.
        labels: ``(N,)`` 0/1.
        scores: ``(N,)`` image scores.
    """
    out = {}
    for kind in anomaly_kinds(test_rows):
        keep = (labels == 0) | (test_rows["anomaly_kind"].astype(str).to_numpy() == kind)
        out[f"image_auroc_{kind}"] = auroc(labels[keep], scores[keep])
    return out


def has_saturation(test_rows: pd.DataFrame) -> bool:
    """Whether the index gives sPRO saturations for its defective test images."""
    return "saturation" in test_rows.columns and bool((test_rows["saturation"].astype(str) != "").any())


def spro_metrics(test_rows: pd.DataFrame, labels: np.ndarray, maps: np.ndarray, fpr_limit: float) -> dict:
    """AU-sPRO over all test images and per anomaly kind (``{}`` without saturations).

    Args:
        test_rows: Test split of the index (``mask_path``, ``saturation``, optional ``anomaly_kind``).
        labels: ``(N,)`` 0/1 in row order.
        maps: ``(N, R, R)`` anomaly maps at the evaluation resolution.
        fpr_limit: Integration limit (0.05 in the LOCO literature).

    Returns:
        ``pixel_auspro_<kind>``; ``pixel_auspro``, their mean (the official headline; the pooled
        value when the index names no kinds); ``pixel_auspro_pooled``; ``spro_fpr_limit`` and
        ``spro_instances_lost`` (instances whose mask vanished at ``R``).
    """
    if not has_saturation(test_rows):
        return {}
    instances = load_instances(test_rows.reset_index(drop=True), maps.shape[-1])
    pooled = auspro(maps, instances, fpr_limit)
    per_kind = {}
    for kind in anomaly_kinds(test_rows):
        keep = (labels == 0) | (test_rows["anomaly_kind"].astype(str).to_numpy() == kind)
        per_kind[f"pixel_auspro_{kind}"] = auspro(maps[keep], instances.subset(keep), fpr_limit)
    # Each kind weighs the same whatever its number of instances (in a pooled curve the kind with
    # more defect instances dominates the mean sPRO).
    headline = float(np.mean(list(per_kind.values()))) if per_kind else pooled
    return {"pixel_auspro": headline, "pixel_auspro_pooled": pooled, **per_kind,
            "spro_fpr_limit": fpr_limit, "spro_instances_lost": instances.lost}
