"""The decision threshold: quantile, held-out split, decisions, and precision/recall in evaluation."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch
from fake_methods import make_dataset, make_model_dir

from synthad.config import EvaluateConfig
from synthad.errors import DataError
from synthad.evaluation.evaluate import evaluate_run
from synthad.evaluation.threshold import (
    decision_metrics,
    holdout_count,
    split_holdout,
    threshold_at,
    threshold_record,
    write_threshold,
)

SCORES = np.array([0.1, 0.5, 0.2, 0.9, 0.3])  # sorted: 0.1 0.2 0.3 0.5 0.9


@pytest.mark.parametrize(("rate", "expected"), [
    (0.25, 0.5),  # k = ceil(0.75 * 4) = 3: only 0.9 (1 of 5) lies above
    (0.5, 0.3),  # k = ceil(0.5 * 4) = 2: 0.5 and 0.9 (2 of 5) above
    (0.01, 0.9),  # (n - 1) * rate < 1: the highest score, none flagged
    (0.0, 0.9),
])
def test_threshold_is_the_higher_empirical_quantile(rate, expected):
    assert threshold_at(SCORES, rate) == expected


def test_at_most_the_false_alarm_rate_of_the_held_out_images_is_flagged():
    rng = np.random.default_rng(0)
    for n in (2, 3, 7, 10, 50, 101, 250):
        scores = rng.normal(size=n).round(1)  # rounding makes ties
        for rate in (0.0, 0.01, 0.05, 0.1, 0.3, 0.9):
            flagged = (scores > threshold_at(scores, rate)).mean()
            assert flagged <= rate, (n, rate)


def test_holdout_count_is_a_ceiling_with_at_least_two():
    assert [holdout_count(n, f) for n, f in [(10, 0.1), (6, 0.1), (100, 0.1), (101, 0.1), (50, 0.0)]] == \
        [2, 2, 10, 11, 0]


def _rows(n):
    return pd.DataFrame({"path": [f"img/{i:03d}.png" for i in range(n)], "split": "train", "label": 0})


def test_split_is_seeded_disjoint_and_independent_of_row_order():
    rows = _rows(20)
    fit, held = split_holdout(rows, 0.2, seed=3, source="x.csv")
    assert len(held) == 4 and len(fit) == 16
    assert set(fit["path"]).isdisjoint(held["path"])
    assert set(fit["path"]) | set(held["path"]) == set(rows["path"])
    assert list(fit["path"]) == [p for p in rows["path"] if p not in set(held["path"])], "fit keeps the order"
    again = split_holdout(rows.sample(frac=1.0, random_state=1), 0.2, seed=3, source="x.csv")[1]
    assert list(again["path"]) == list(held["path"]), "same images and seed: same hold-out"
    other = split_holdout(rows, 0.2, seed=4, source="x.csv")[1]
    assert list(other["path"]) != list(held["path"]), "another seed draws other images"


def test_no_holdout_at_fraction_zero_and_an_error_when_too_few_images_remain():
    fit, held = split_holdout(_rows(3), 0.0, seed=0, source="x.csv")
    assert len(fit) == 3 and held.empty
    with pytest.raises(DataError, match=r"x.csv: 3 training images.*train.holdout_fraction"):
        split_holdout(_rows(3), 0.1, seed=0, source="x.csv")


def test_decisions_precision_and_recall_by_hand():
    labels = np.array([0, 0, 0, 1, 1, 1])
    scores = np.array([0.1, 0.6, 0.5, 0.7, 0.5, 0.9])
    # > 0.5 flags 0.6 (good: FP), 0.7 and 0.9 (TP); a score equal to the threshold is not flagged.
    assert decision_metrics(labels, scores, 0.5) == {
        "decision_threshold": 0.5, "decision_precision": 2 / 3, "decision_recall": 2 / 3,
        "decision_tp": 2, "decision_fp": 1, "decision_fn": 1, "decision_tn": 2}
    nothing = decision_metrics(labels, scores, 1.0)
    assert math.isnan(nothing["decision_precision"]) and nothing["decision_recall"] == 0.0


def test_threshold_record_summarises_the_held_out_images():
    maps = np.zeros((3, 4, 4))
    maps[1, 0, 0] = 2.0
    record = threshold_record(np.array([0.2, 0.4, 0.3]), maps, ["a", "b", "c"], 0.01, 0.1, 32, "squash")
    assert record["threshold"] == 0.4 and record["n_flagged"] == 0 and record["n_holdout"] == 3
    assert record["holdout_scores"] == pytest.approx({"min": 0.2, "median": 0.3, "mean": 0.3, "max": 0.4})
    assert record["map_range"] == [0.0, 2.0] and record["resolution"] == 32
    with pytest.raises(DataError, match="^b: held-out image scored nan"):
        threshold_record(np.array([0.2, np.nan, 0.3]), maps, ["a", "b", "c"], 0.01, 0.1, 32, "squash")


@pytest.mark.parametrize(("threshold", "expected"), [
    # 3 good images (noise only) and 4 with bright squares; the fake method's maxima: < 0.05 vs ~0.5
    (0.2, {"decision_tp": 4, "decision_fp": 0, "decision_fn": 0, "decision_tn": 3,
           "decision_precision": 1.0, "decision_recall": 1.0}),
    (-1.0, {"decision_tp": 4, "decision_fp": 3, "decision_fn": 0, "decision_tn": 0,
            "decision_precision": 4 / 7, "decision_recall": 1.0}),
    (10.0, {"decision_tp": 0, "decision_fp": 0, "decision_fn": 4, "decision_tn": 3,
            "decision_precision": None, "decision_recall": 0.0}),
])
def test_evaluation_reports_precision_and_recall_at_the_runs_threshold(tmp_path, threshold, expected):
    index = make_dataset(tmp_path / "data")
    model = make_model_dir(tmp_path / "models" / "seed0")
    write_threshold(model, {"threshold": threshold, "resolution": 24})
    evaluate_run(index, model, EvaluateConfig(resolution=24, batch_size=4), tmp_path / "run",
                 torch.device("cpu"), progress=False)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert {k: metrics[k] for k in expected} == pytest.approx(expected)
    assert metrics["decision_threshold"] == threshold


def test_evaluation_without_or_with_a_mismatched_threshold_has_no_decision_keys(tmp_path, capsys):
    index = make_dataset(tmp_path / "data")
    model = make_model_dir(tmp_path / "models" / "seed0")
    for name in ("none", "other_size"):
        if name == "other_size":
            write_threshold(model, {"threshold": 0.2, "resolution": 256})
        evaluate_run(index, model, EvaluateConfig(resolution=24), tmp_path / name, torch.device("cpu"),
                     progress=False)
        metrics = json.loads((tmp_path / name / "metrics.json").read_text())
        assert not [k for k in metrics if k.startswith("decision_")], name
    assert "set at resolution 256, evaluated at 24" in capsys.readouterr().err
