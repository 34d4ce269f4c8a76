"""The small files ``dvc.yaml`` declares as metrics and plots, so DVC's own commands show results.

* :func:`headline_metrics` -> ``results/metrics/headline.json``: ``{"<dataset>/<category>/<method>":
  {"image_auroc": .., "pixel_auroc": .., "pixel_aupro": ..}}``, each value the mean over seeds
  (:func:`.statistics.seed_stats`, the numbers of the tables), plus ``"<dataset>/mean/<method>"``
  (the tables' ``mean`` row) when a data set has two or more categories. Quality only: the cost
  figures (seconds, images/s, memory) change on every re-run and would fill ``dvc metrics diff``
  with noise. A metric a run did not measure (pixel metrics without pixel masks) is absent; an
  undefined one (NaN) is ``null``.
* :func:`write_plot_data` -> ``results/plots/roc/<dataset>/<category>/<method>.csv`` (``fpr, tpr``:
  the image-level ROC from ``scores.csv``) and ``results/plots/training/<dataset>/<category>/
  <method>.csv`` (``step, loss``: the total loss of ``train_log.csv``, one row per log row), for the
  lowest seed of each method as the report's figures (:func:`.figures.find_runs`). DVC draws one
  plot per file and colours it by revision, so ``dvc plots diff`` compares experiments run by run.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from sklearn.metrics import roc_curve

from synthad.errors import DataError
from synthad.report.figures import find_runs
from synthad.report.statistics import MEAN_ROW, seed_stats
from synthad.report.table_format import HEADLINE_METRICS
from synthad.utils.io import atomic_dir

DIGITS = 4  # 0.01 percentage points: finer differences are noise, and they make the diff unreadable


def headline_metrics(frame: pd.DataFrame) -> dict[str, dict[str, float | None]]:
    """Seed means of the headline metrics per ``"<dataset>/<category>/<method>"`` (module docstring).

    Args:
        frame: Long metrics table (``dataset, category, method, seed, metric, value``).
    """
    out: dict[str, dict[str, float | None]] = {}
    for (dataset, method), sub in frame.groupby(["dataset", "method"], sort=True):
        several = sub["category"].nunique() > 1
        for metric in HEADLINE_METRICS:
            for category, mean in seed_stats(sub, dataset, method, metric)["mean"].items():
                if category == MEAN_ROW and not several:
                    continue  # one category: its mean row repeats its numbers
                out.setdefault(f"{dataset}/{category}/{method}", {})[metric] = _rounded(mean)
    return out


def _rounded(value: float) -> float | None:
    """``value`` to :data:`DIGITS` decimals; NaN as ``None`` (JSON has no NaN)."""
    return None if math.isnan(value) else round(float(value), DIGITS)


def roc_points(scores: pd.DataFrame) -> pd.DataFrame | None:
    """Image-level ROC of one run (``scores.csv``: ``label`` 1 = defective, ``score``).

    Returns:
        ``fpr, tpr`` rows from (0, 0) to (1, 1); ``None`` when the test split lacks a class.
    """
    if scores["label"].nunique() < 2:
        return None
    fpr, tpr, _ = roc_curve(scores["label"], scores["score"])
    return pd.DataFrame({"fpr": fpr.round(DIGITS), "tpr": tpr.round(DIGITS)})


def loss_curve(log: pd.DataFrame) -> pd.DataFrame | None:
    """``step, loss`` of a ``train_log.csv``; ``None`` for a method that logs no loss.

    ``step`` counts the log's rows (an epoch for most methods, ``log_every`` steps for SLSG): not
    every log has an ``epoch`` column, and with phases (NDP-Net, IMM+ALM) its epochs restart.
    """
    if "loss" not in log.columns or log.empty:
        return None
    return pd.DataFrame({"step": range(len(log)), "loss": log["loss"].to_numpy()})


def write_plot_data(runs_dir: str | Path, models_dir: str | Path, roc_out: str | Path,
                    training_out: str | Path) -> list[Path]:
    """The ROC and training-curve files (module docstring); each folder replaced atomically.

    Raises:
        DataError: No run with ``maps.npz`` below ``runs_dir``.
    """
    runs = find_runs(runs_dir)
    if not runs:
        raise DataError(f"{runs_dir}: no run with maps.npz found")
    written = []
    with atomic_dir(roc_out) as roc_tmp, atomic_dir(training_out) as training_tmp:
        for (dataset, category, method), run_dir in runs.items():
            name = Path(dataset, category, f"{method}.csv")
            roc = roc_points(pd.read_csv(run_dir / "scores.csv"))
            log_path = Path(models_dir, dataset, category, method, run_dir.name, "train_log.csv")
            curve = loss_curve(pd.read_csv(log_path)) if log_path.is_file() else None
            for tmp, out, table in ((roc_tmp, roc_out, roc), (training_tmp, training_out, curve)):
                if table is not None:
                    (tmp / name).parent.mkdir(parents=True, exist_ok=True)
                    table.to_csv(tmp / name, index=False)
                    written.append(Path(out) / name)
    return written
