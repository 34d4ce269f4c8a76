"""Precision and recall at each run's decision threshold join the unified table when runs have them."""

from __future__ import annotations

import pandas as pd

from synthad.config import ReportConfig
from synthad.report.unified import unified_grid, with_decisions

CONFIG = ReportConfig(metrics=["image_auroc"], decimals=1)
SETTINGS = pd.DataFrame(columns=["dataset", "method", "device"])


def _frame() -> pd.DataFrame:
    """``thr`` runs carry decision metrics (precision 0.5 / 1.0 by seed), ``plain`` runs do not."""
    rows = []
    for dataset in ("thr", "plain"):
        for seed in (0, 1):
            values = {"image_auroc": 0.9, "train_seconds": 1.0}
            if dataset == "thr":
                values |= {"decision_precision": 0.5 + 0.5 * seed, "decision_recall": 0.25}
            rows += [dict(dataset=dataset, category="plate", method="draem", seed=seed, metric=m, value=v)
                     for m, v in values.items()]
    return pd.DataFrame(rows)


def test_decision_columns_only_where_the_runs_have_thresholds():
    frame = _frame()
    assert with_decisions(frame, "plain", CONFIG) is CONFIG
    shown = with_decisions(frame, "thr", CONFIG)
    assert shown.metrics == ["image_auroc", "decision_precision", "decision_recall"]
    grid = unified_grid(frame, "thr", SETTINGS, shown)
    assert grid.header[1:4] == ["I-AUROC", "Prec@thr", "Rec@thr"]
    plate = grid.rows[0].cells
    assert plate[1].ours == [75.0] and plate[2].ours == [25.0]  # mean over seeds, x 100
