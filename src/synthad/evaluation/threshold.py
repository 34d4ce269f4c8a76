"""A decision threshold chosen without test data, and the decisions it makes.

AUROC and AP rank images; a deployed detector has to decide. ``synthad train`` holds a seeded
fraction of the good training images out of ``fit`` (:func:`split_holdout`), scores them after
training exactly as evaluation scores test images, and stores the threshold that flags at most
``train.false_alarm_rate`` of them (:func:`threshold_at`) as ``threshold.json`` in the model folder
(:func:`threshold_record`). Evaluation reports precision and recall at it (:func:`decision_metrics`)
and ``synthad predict`` decides with it. None of the reproduced papers sets a threshold: this is a
SynthAD addition (``train.holdout_fraction: 0`` trains on every image, as the papers do, and writes
no threshold).

**Decision rule**: an image is defective when its score is *strictly greater* than the threshold.

``threshold.json``:

* ``threshold``: the decision threshold (score units of the method),
* ``false_alarm_rate``, ``holdout_fraction``: the ``train:`` settings it was made with,
* ``n_holdout``, ``n_flagged``: held-out images, and how many of them the threshold flags,
* ``holdout_scores``: ``min``, ``median``, ``mean``, ``max`` of the held-out scores,
* ``holdout_paths``: the held-out images (never seen by ``fit``),
* ``resolution``: the side the held-out images were loaded at (evaluation's ``resolution``),
* ``resize``: the index's resize mode they were brought to that side with (``synthad predict``
  reads new images the same way),
* ``map_range``: ``[median, max]`` of the held-out anomaly-map pixels, the colour scale of
  ``synthad predict``'s overlays (blue: as a typical pixel of a good image; red: at least as hot
  as the hottest pixel of any held-out good image).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from synthad.errors import DataError
from synthad.utils.io import read_json_object, write_json

THRESHOLD_FILE = "threshold.json"
MIN_HOLDOUT = 2  # one held-out image would make the threshold that image's score, by luck
MIN_FIT = 2  # fewer left for fit is a degenerate training set (a "mean" of one image)
HOLDOUT_SALT = 0x7E57  # keeps the split's random stream apart from fit's (both derive from the seed)
DECISION_KEYS = ("decision_threshold", "decision_precision", "decision_recall",
                 "decision_tp", "decision_fp", "decision_fn", "decision_tn")


def holdout_count(n_train: int, fraction: float) -> int:
    """How many of ``n_train`` good training images to hold out: ``ceil(fraction * n_train)``, >= 2.

    ``0`` when ``fraction`` is 0 (no hold-out, no threshold).
    """
    return 0 if fraction <= 0 else max(MIN_HOLDOUT, math.ceil(fraction * n_train))


def split_holdout(rows: pd.DataFrame, fraction: float, seed: int,
                  source: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the good training images into those ``fit`` sees and those held out for the threshold.

    The held-out images are drawn without replacement by a generator seeded with ``seed`` from the
    images sorted by path, so the split depends only on the set of images and the seed (not on the
    order of the index rows).

    Args:
        rows: The training rows of an index (column ``path``).
        fraction: ``train.holdout_fraction``.
        seed: The run's seed.
        source: The index file, for the error message.

    Returns:
        ``(fit_rows, holdout_rows)``: ``fit_rows`` in the original order, ``holdout_rows`` sorted by
        path; both with a fresh index. ``holdout_rows`` is empty when ``fraction`` is 0.

    Raises:
        DataError: Fewer than :data:`MIN_FIT` images would remain for ``fit``.
    """
    rows = rows.reset_index(drop=True)
    n_holdout = holdout_count(len(rows), fraction)
    if n_holdout and len(rows) - n_holdout < MIN_FIT:
        raise DataError(f"{source}: {len(rows)} training images; holding out {n_holdout} for the threshold"
                        f" (train.holdout_fraction {fraction}, at least {MIN_HOLDOUT}) leaves fewer than"
                        f" {MIN_FIT} for training: add images or set train.holdout_fraction: 0")
    by_path = rows["path"].astype(str).sort_values(kind="stable").index.to_numpy()
    rng = np.random.default_rng([HOLDOUT_SALT, seed])
    held = np.sort(by_path[rng.choice(len(rows), size=n_holdout, replace=False)])
    holdout = rows.loc[held].sort_values("path", kind="stable").reset_index(drop=True)
    return rows.drop(index=held).reset_index(drop=True), holdout


def threshold_at(scores: np.ndarray, false_alarm_rate: float) -> float:
    """A held-out score that leaves at most ``false_alarm_rate`` of the held-out scores above it.

    It is the ``(1 - false_alarm_rate)`` empirical quantile with ``method="higher"``: of the ``n``
    sorted scores ``s_0 <= ... <= s_{n-1}``, ``s_k`` with ``k = ceil((1 - rate) * (n - 1))``. At most
    ``n - 1 - k <= rate * (n - 1)`` scores are *strictly* above it, so at most that fraction of the
    held-out good images is flagged (conservatively: ``rate * (n - 1)``, not ``rate * n``, so with
    ``n = 10`` at rate 0.1 it flags none). With few images (``(n - 1) * rate < 1``, e.g. fewer than 101
    at rate 0.01) ``k = n - 1``: the threshold is the highest held-out score and flags none of them.

    Args:
        scores: ``(n,)`` image scores of held-out good images, ``n >= 1``.
        false_alarm_rate: In ``[0, 1)``.
    """
    return float(np.quantile(np.asarray(scores, dtype=np.float64), 1.0 - false_alarm_rate, method="higher"))


def decide(scores: np.ndarray, threshold: float) -> np.ndarray:
    """``(N,)`` int: 1 (defective) where ``score > threshold``, else 0."""
    return (np.asarray(scores, dtype=np.float64) > threshold).astype(int)


def threshold_record(scores: np.ndarray, maps: np.ndarray, paths: list[str], false_alarm_rate: float,
                     holdout_fraction: float, resolution: int, resize: str) -> dict:
    """The content of ``threshold.json`` (see the module docstring).

    Args:
        scores: ``(n,)`` scores of the held-out images.
        maps: ``(n, R, R)`` their anomaly maps.
        paths: Their files.
        false_alarm_rate: ``train.false_alarm_rate``.
        holdout_fraction: ``train.holdout_fraction``.
        resolution: ``R``, the side they were loaded at.
        resize: The index's resize mode they were brought to ``R`` with.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if not np.isfinite(scores).all():
        bad = paths[int(np.flatnonzero(~np.isfinite(scores))[0])]
        raise DataError(f"{bad}: held-out image scored {scores[~np.isfinite(scores)][0]}; no threshold")
    threshold = threshold_at(scores, false_alarm_rate)
    summary = {"min": scores.min(), "median": np.median(scores), "mean": scores.mean(), "max": scores.max()}
    return {
        "threshold": threshold,
        "false_alarm_rate": false_alarm_rate,
        "holdout_fraction": holdout_fraction,
        "n_holdout": len(scores),
        "n_flagged": int(decide(scores, threshold).sum()),
        "holdout_scores": {key: float(value) for key, value in summary.items()},
        "holdout_paths": [str(p) for p in paths],
        "resolution": int(resolution),
        "resize": resize,
        "map_range": [float(np.median(maps)), float(np.max(maps))],
    }


def write_threshold(model_dir: str | Path, record: dict) -> None:
    """Write ``threshold.json`` into the model folder (atomically)."""
    write_json(Path(model_dir) / THRESHOLD_FILE, record)


def read_threshold(model_dir: str | Path) -> dict | None:
    """``threshold.json`` of a model folder, or ``None`` when the run has none (hold-out fraction 0).

    Raises:
        DataError: The file is unreadable or lacks ``threshold`` or ``resolution``.
    """
    path = Path(model_dir) / THRESHOLD_FILE
    if not path.is_file():
        return None
    record = read_json_object(path)
    for key in ("threshold", "resolution"):
        if not isinstance(record.get(key), int | float) or isinstance(record.get(key), bool):
            raise DataError(f"{path}: {key!r} is missing or not a number")
    return record


def decision_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float | int]:
    """Decision counts, precision and recall of ``score > threshold`` against the labels.

    Args:
        labels: ``(N,)`` 0 good / 1 defective.
        scores: ``(N,)`` image scores.
        threshold: The run's threshold.

    Returns:
        :data:`DECISION_KEYS`: the threshold, ``precision = TP / (TP + FP)`` (NaN when nothing is
        flagged), ``recall = TP / (TP + FN)`` (NaN without defective images) and the counts.
    """
    labels, flagged = np.asarray(labels).astype(bool), decide(scores, threshold).astype(bool)
    tp, fp = int((flagged & labels).sum()), int((flagged & ~labels).sum())
    fn, tn = int((~flagged & labels).sum()), int((~flagged & ~labels).sum())
    return {
        "decision_threshold": float(threshold),
        "decision_precision": tp / (tp + fp) if tp + fp else math.nan,
        "decision_recall": tp / (tp + fn) if tp + fn else math.nan,
        "decision_tp": tp, "decision_fp": fp, "decision_fn": fn, "decision_tn": tn,
    }


def run_decision_metrics(model_dir: str | Path, resolution: int, labels: np.ndarray,
                         scores: np.ndarray) -> dict[str, float | int]:
    """:func:`decision_metrics` at the threshold of a model folder, for ``metrics.json``.

    Args:
        model_dir: The ``synthad train`` output folder.
        resolution: The evaluation resolution the ``scores`` were computed at.
        labels: ``(N,)`` 0/1 of the test split.
        scores: ``(N,)`` image scores of the test split.

    Returns:
        The :data:`DECISION_KEYS`; ``{}`` when the run has no ``threshold.json`` (hold-out fraction 0)
        or its threshold was set at another resolution (scores of another scale: one line on stderr).
    """
    record = read_threshold(model_dir)
    if record is None:
        return {}
    if int(record["resolution"]) != resolution:
        print(f"{Path(model_dir) / THRESHOLD_FILE}: set at resolution {record['resolution']}, evaluated at"
              f" {resolution}: no precision/recall at the threshold", file=sys.stderr)
        return {}
    return decision_metrics(labels, scores, float(record["threshold"]))
