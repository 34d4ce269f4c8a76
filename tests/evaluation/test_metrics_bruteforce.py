"""Image/pixel AUROC, AP and F1-max against independent brute-force definitions."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from synthad.errors import DataError
from synthad.evaluation.metrics import auroc, average_precision, f1_max, image_metrics, pixel_metrics


def brute_auroc(labels, scores):
    """Probability that a positive outscores a negative, ties counting 1/2 (pairwise loop)."""
    pos = [s for s, lab in zip(scores, labels, strict=True) if lab]
    neg = [s for s, lab in zip(scores, labels, strict=True) if not lab]
    total = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return total / (len(pos) * len(neg))


def _confusion(labels, scores, t):
    pred = scores >= t
    return np.sum(pred & labels), np.sum(pred & ~labels), np.sum(~pred & labels)


def brute_ap(labels, scores):
    """sum_n (R_n - R_{n-1}) P_n over thresholds taken from high to low."""
    labels = np.asarray(labels, bool)
    ap, prev_recall = 0.0, 0.0
    for t in sorted(set(scores.tolist()), reverse=True):
        tp, fp, fn = _confusion(labels, scores, t)
        recall, precision = tp / (tp + fn), tp / (tp + fp)
        ap += (recall - prev_recall) * precision
        prev_recall = recall
    return ap


def brute_f1(labels, scores):
    labels = np.asarray(labels, bool)
    best = 0.0
    for t in set(scores.tolist()):
        tp, fp, fn = _confusion(labels, scores, t)
        best = max(best, 2 * tp / (2 * tp + fp + fn))
    return best


def _cases():
    rng = np.random.default_rng(0)
    for i in range(12):
        n = int(rng.integers(5, 60))
        labels = rng.random(n) < 0.4
        labels[0], labels[1] = True, False
        # Coarse rounding for half the cases forces many ties.
        scores = rng.random(n) + 0.8 * labels
        if i % 2:
            scores = np.round(scores, 1)
        yield labels, scores


@pytest.mark.parametrize("case", list(_cases()))
def test_image_metrics_match_brute_force(case):
    labels, scores = case
    assert auroc(labels, scores) == pytest.approx(brute_auroc(labels, scores), abs=1e-6)
    assert average_precision(labels, scores) == pytest.approx(brute_ap(labels, scores), abs=1e-6)
    assert f1_max(labels, scores) == pytest.approx(brute_f1(labels, scores), abs=1e-6)


def test_pixel_metrics_pool_all_pixels():
    rng = np.random.default_rng(1)
    masks = np.zeros((3, 6, 7), bool)
    masks[0, 1:3, 2:5] = True
    masks[2, 4:, :2] = True  # image 1 is defect-free and still counts
    maps = np.round(rng.random(masks.shape) + 0.5 * masks, 2)
    got = pixel_metrics(masks, maps)
    flat_l, flat_s = masks.ravel(), maps.ravel()
    assert got["pixel_auroc"] == pytest.approx(brute_auroc(flat_l, flat_s), abs=1e-6)
    assert got["pixel_ap"] == pytest.approx(brute_ap(flat_l, flat_s), abs=1e-6)
    assert got["pixel_f1_max"] == pytest.approx(brute_f1(flat_l, flat_s), abs=1e-6)


def test_hand_computed_case():
    # positives 0.9, 0.4 ; negatives 0.5, 0.1 -> pairs won 3 of 4.
    labels = np.array([1, 0, 1, 0])
    scores = np.array([0.9, 0.5, 0.4, 0.1])
    assert auroc(labels, scores) == pytest.approx(0.75)
    # t=0.9: P=1 R=.5 ; t=0.5: P=.5 R=.5 ; t=0.4: P=2/3 R=1 -> AP = .5*1 + .5*2/3
    assert average_precision(labels, scores) == pytest.approx(0.5 + 1 / 3)
    # best F1 at t=0.4: 2*2/(4+1) = 0.8
    assert f1_max(labels, scores) == pytest.approx(0.8)


def test_auroc_is_not_flipped():
    labels = np.array([1, 1, 0, 0])
    scores = np.array([0.1, 0.2, 0.8, 0.9])
    assert auroc(labels, scores) == 0.0
    assert image_metrics(labels, scores)["image_auroc"] == 0.0


def test_one_class_gives_nan_and_bad_input_raises():
    assert math.isnan(auroc(np.zeros(4), np.arange(4.0)))
    assert all(math.isnan(v) for v in pixel_metrics(np.zeros((2, 3, 3), bool), np.ones((2, 3, 3))).values())
    with pytest.raises(DataError, match="shape"):
        auroc(np.array([0, 1]), np.array([0.1, 0.2, 0.3]))
    with pytest.raises(DataError, match="NaN"):
        auroc(np.array([0, 1]), np.array([np.nan, 0.2]))
    with pytest.raises(DataError, match="0/1"):
        auroc(np.array([0, 2]), np.array([0.1, 0.2]))


@pytest.mark.parametrize("decimals", [None, 1, 3])
def test_pixel_metrics_equal_the_sklearn_based_functions(decimals):
    rng = np.random.default_rng(7)
    masks = rng.random((5, 20, 20)) < 0.1
    maps = rng.random(masks.shape) + 0.3 * masks
    if decimals is not None:
        maps = np.round(maps, decimals)
    got = pixel_metrics(masks, maps)
    assert got["pixel_auroc"] == pytest.approx(auroc(masks, maps), abs=1e-9)
    assert got["pixel_ap"] == pytest.approx(average_precision(masks, maps), abs=1e-9)
    assert got["pixel_f1_max"] == pytest.approx(f1_max(masks, maps), abs=1e-9)
