"""Image- and pixel-level detection metrics: AUROC, AP and F1-max.

Conventions (docs/evaluation.md):

* Higher scores mean "more anomalous"; label / mask value 1 is the positive (defective) class.
* AUROC is **never flipped** when it falls below 0.5: a method that ranks backwards gets its
  honest number.
* Pixel metrics pool **all pixels of all test images of a category** (defect-free images
  included) into one flat sample, as MVTec AD and DRAEM do.
* Degenerate input: when only one class is present the metric is undefined and the functions
  return ``nan`` (they never raise for it), so one odd category does not abort a whole
  evaluation; tables print ``nan`` as "--". Shape mismatches and non-finite scores are errors.
"""

from __future__ import annotations

import math

import numpy as np

from synthad.errors import DataError

# sklearn is imported inside the functions that use it: importing it costs about 0.6 s, which every
# `synthad train` job would pay (it scores the held-out images through this package but computes no
# metric), 72 jobs in the default run.


def _prepare(labels: np.ndarray, scores: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Flatten and check ``labels``/``scores``; ``None`` when only one class is present.

    Args:
        labels: Binary ground truth of any shape (bool or 0/1).
        scores: Anomaly scores of the same shape.
        what: Name used in error messages (e.g. ``"pixel"``).

    Returns:
        ``(labels (M,) bool, scores (M,) float64)`` or ``None`` for a one-class input.

    Raises:
        DataError: Shapes differ, labels are not binary, or a score is NaN/inf.
    """
    labels, scores = np.asarray(labels), np.asarray(scores)
    if labels.shape != scores.shape:
        raise DataError(f"{what} metrics: labels {labels.shape} and scores {scores.shape} differ in shape")
    labels, scores = labels.ravel(), scores.ravel().astype(np.float64, copy=False)
    if labels.dtype != bool:
        if not np.isin(labels, (0, 1)).all():
            raise DataError(f"{what} metrics: labels must be 0/1")
        labels = labels.astype(bool)
    if not np.isfinite(scores).all():
        raise DataError(f"{what} metrics: scores contain NaN or inf")
    if labels.all() or not labels.any():
        return None  # one class only: AUROC/AP/F1 are undefined
    return labels, scores


def auroc(labels: np.ndarray, scores: np.ndarray, what: str = "image") -> float:
    """Area under the ROC curve (sklearn), not flipped below 0.5.

    Args:
        labels: Binary ground truth, any shape (e.g. ``(N,)`` or ``(N, H, W)``).
        scores: Scores of the same shape.
        what: Name for error messages.

    Returns:
        AUROC in ``[0, 1]``; ``nan`` when only one class is present.
    """
    from sklearn.metrics import roc_auc_score  # deferred (see the note above _prepare)

    prepared = _prepare(labels, scores, what)
    return math.nan if prepared is None else float(roc_auc_score(*prepared))


def average_precision(labels: np.ndarray, scores: np.ndarray, what: str = "image") -> float:
    """Average precision (sklearn, step-wise sum, no interpolation).

    Args:
        labels: Binary ground truth, any shape.
        scores: Scores of the same shape.
        what: Name for error messages.

    Returns:
        AP in ``[0, 1]``; ``nan`` when only one class is present.
    """
    from sklearn.metrics import average_precision_score  # deferred (see the note above _prepare)

    prepared = _prepare(labels, scores, what)
    return math.nan if prepared is None else float(average_precision_score(*prepared))


def f1_max(labels: np.ndarray, scores: np.ndarray, what: str = "image") -> float:
    """Best F1 over all thresholds ``score >= t`` (from the precision-recall curve).

    Args:
        labels: Binary ground truth, any shape.
        scores: Scores of the same shape.
        what: Name for error messages.

    Returns:
        max F1 in ``[0, 1]``; ``nan`` when only one class is present.
    """
    from sklearn.metrics import precision_recall_curve  # deferred (see the note above _prepare)

    prepared = _prepare(labels, scores, what)
    if prepared is None:
        return math.nan
    precision, recall, _ = precision_recall_curve(*prepared)
    denom = precision + recall
    # The curve's final point (P=1, R=0) has a non-zero denominator; 0/0 can only occur when
    # precision is 0, which scores F1 = 0 by definition.
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(denom), where=denom > 0)
    return float(f1.max())


def image_metrics(labels: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """Image-level AUROC, AP and F1-max of one category.

    Args:
        labels: ``(N,)`` 0 good / 1 defective.
        scores: ``(N,)`` image anomaly scores.

    Returns:
        ``{"image_auroc", "image_ap", "image_f1_max"}`` (``nan`` when one class only).
    """
    return {
        "image_auroc": auroc(labels, scores, "image"),
        "image_ap": average_precision(labels, scores, "image"),
        "image_f1_max": f1_max(labels, scores, "image"),
    }


def binary_curve(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True and false positive counts at every distinct threshold ``score >= t``, high to low.

    One sort serves AUROC, AP and F1-max (what sklearn's ``_binary_clf_curve`` computes, but
    shared instead of repeated three times over millions of pixels).

    Args:
        labels: ``(M,)`` bool.
        scores: ``(M,)`` float.

    Returns:
        ``(tps (K,), fps (K,))`` float64 cumulative counts, ``K`` = number of distinct scores.
    """
    # Any order within a tie serves: only the integer counts at each tie's end are kept. numpy's
    # default (SIMD quicksort) sorts the ~4M pixels of a demo category 3x faster than "stable".
    order = np.argsort(scores)[::-1]
    sorted_scores = scores[order]
    last = np.append(np.flatnonzero(sorted_scores[1:] != sorted_scores[:-1]), len(scores) - 1)
    tps = np.cumsum(labels[order], dtype=np.float64)[last]
    return tps, (last + 1) - tps


def pixel_metrics(masks: np.ndarray, maps: np.ndarray) -> dict[str, float]:
    """Pixel-level AUROC, AP and F1-max over all pixels of one category.

    The same definitions as :func:`auroc`, :func:`average_precision` and :func:`f1_max` (tests
    check the equality), computed from one shared sort because sklearn would sort ~10^7 pixels
    three times.

    Args:
        masks: ``(N, H, W)`` bool ground truth (all False for defect-free images).
        maps: ``(N, H, W)`` anomaly maps at the same resolution.

    Returns:
        ``{"pixel_auroc", "pixel_ap", "pixel_f1_max"}`` (``nan`` when no pixel is defective).
    """
    prepared = _prepare(masks, maps, "pixel")
    if prepared is None:
        return {"pixel_auroc": math.nan, "pixel_ap": math.nan, "pixel_f1_max": math.nan}
    tps, fps = binary_curve(*prepared)
    n_pos, n_neg = tps[-1], fps[-1]
    tpr, fpr = np.concatenate(([0.0], tps / n_pos)), np.concatenate(([0.0], fps / n_neg))
    precision = tps / (tps + fps)
    return {
        "pixel_auroc": float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2)),
        "pixel_ap": float(np.sum(np.diff(tpr) * precision)),
        "pixel_f1_max": float(np.max(2 * tps / (n_pos + tps + fps))),
    }
