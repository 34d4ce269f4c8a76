"""The metrics and plot files dvc.yaml declares (``synthad dvc-data``)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from synthad.cli import main
from synthad.report.dvc_data import headline_metrics, loss_curve, roc_points


def _long(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["dataset", "category", "method", "seed", "metric", "value"])


def test_headline_is_the_seed_mean_of_quality_metrics_with_the_category_mean():
    frame = _long([
        ("demo", "fabric", "draem", 0, "image_auroc", 0.9),
        ("demo", "fabric", "draem", 1, "image_auroc", 0.8),
        ("demo", "washer", "draem", 0, "image_auroc", 0.6),
        ("demo", "washer", "draem", 1, "image_auroc", 0.7),
        ("demo", "fabric", "draem", 0, "pixel_auroc", float("nan")),
        ("demo", "fabric", "draem", 0, "train_seconds", 12.0),  # a cost: noise between re-runs
        ("demo", "fabric", "draem", 0, "image_ap", 0.5),  # not a headline metric
        ("okng", "bolt", "draem", 0, "image_auroc", 2 / 3),  # image-level data set: no pixel metric
    ])
    assert headline_metrics(frame) == {
        "demo/fabric/draem": {"image_auroc": 0.85, "pixel_auroc": None},
        "demo/washer/draem": {"image_auroc": 0.65},
        "demo/mean/draem": {"image_auroc": 0.75, "pixel_auroc": None},
        "okng/bolt/draem": {"image_auroc": 0.6667},  # one category: no mean entry
    }


def test_roc_runs_from_origin_to_one_and_needs_both_classes():
    scores = pd.DataFrame({"label": [0, 0, 1, 1], "score": [0.1, 0.4, 0.35, 0.8]})
    roc = roc_points(scores)
    assert list(roc.columns) == ["fpr", "tpr"]
    assert roc.iloc[0].tolist() == [0.0, 0.0] and roc.iloc[-1].tolist() == [1.0, 1.0]
    assert roc_points(scores.assign(label=0)) is None


def test_loss_curve_counts_log_rows_and_skips_methods_without_a_loss():
    log = pd.DataFrame({"step": [10, 20], "loss": [2.0, 1.0], "lr": [1e-3, 1e-3]})  # SLSG: no epoch column
    assert loss_curve(log).to_dict("list") == {"step": [0, 1], "loss": [2.0, 1.0]}
    assert loss_curve(pd.DataFrame({"epoch": [0], "n_images": [6]})) is None


@pytest.fixture
def results(tmp_path):
    """metrics.csv and two methods' runs (seeds 1 and 0) with scores and training logs."""
    rows = []
    for method in ("draem", "mean_image"):
        for seed in (0, 1):
            run = tmp_path / f"runs/demo/washer/{method}/seed{seed}"
            run.mkdir(parents=True)
            (run / "maps.npz").write_bytes(b"")  # find_runs only looks for it
            label = [0, 1, 0, 1]
            pd.DataFrame({"label": label, "score": [0.1, 0.9, 0.2, 0.3 + seed]}).to_csv(run / "scores.csv")
            model = tmp_path / f"models/demo/washer/{method}/seed{seed}"
            model.mkdir(parents=True)
            log = {"epoch": [0, 1], "loss": [1.0, 0.5 + seed]} if method == "draem" else {"epoch": [0]}
            pd.DataFrame(log).to_csv(model / "train_log.csv", index=False)
            rows.append(("demo", "washer", method, seed, "image_auroc", 0.5))
    _long(rows).to_csv(tmp_path / "metrics.csv", index=False)
    return tmp_path


def test_stage_writes_headline_and_lowest_seed_plot_data(results):
    out = results / "out"
    args = ["dvc-data", "--metrics", str(results / "metrics.csv"), "--runs-dir", str(results / "runs"),
            "--models-dir", str(results / "models"), "--headline-out", str(out / "metrics/headline.json"),
            "--roc-out", str(out / "plots/roc"), "--training-out", str(out / "plots/training")]
    assert main(args) == 0
    headline = json.loads((out / "metrics/headline.json").read_text())
    assert headline == {f"demo/washer/{m}": {"image_auroc": 0.5} for m in ("draem", "mean_image")}
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.csv"))
    assert files == ["plots/roc/demo/washer/draem.csv", "plots/roc/demo/washer/mean_image.csv",
                     "plots/training/demo/washer/draem.csv"]  # mean_image logs no loss
    assert pd.read_csv(out / "plots/training/demo/washer/draem.csv")["loss"].tolist() == [1.0, 0.5]  # seed 0
