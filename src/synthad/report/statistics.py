"""Mean and standard deviation over seeds: the statistics behind every table of the report.

* A category cell is the mean over seeds and the **sample** standard deviation over seeds
  (``ddof=1``); with a single seed the std is NaN (printed as "--" or left out).
* The ``mean`` row is the mean over categories of the category means; its std is the std over
  seeds of the per-seed category average, using the seeds every category has (the usual way
  papers report a data-set mean +- std). An undefined (NaN) category metric makes the mean NaN:
  averaging over fewer categories would silently change what the number means.

The summary, unified and paper tables (:mod:`.tables`, :mod:`.unified`, :mod:`.matching`) all
call :func:`seed_stats`, so a number means the same in each.
"""

from __future__ import annotations

import math

import pandas as pd

MEAN_ROW = "mean"


def measured(frame: pd.DataFrame, dataset: str, method: str, metric: str) -> pd.Series:
    """Whether ``method`` measured ``metric`` on each category of ``dataset`` it ran on.

    A run that cannot measure a metric leaves it out of ``metrics.json`` (an image-level data set
    every pixel metric): its cells print ``n/a`` (:data:`.table_format.NOT_MEASURED`), whereas a
    measured but undefined value (NaN) prints a dash.

    Returns:
        Bool Series indexed by category (sorted), then ``mean`` (measured when any category is).
    """
    sub = frame[(frame["dataset"] == dataset) & (frame["method"] == method)]
    done = set(sub.loc[sub["metric"] == metric, "category"])
    flags = pd.Series({c: c in done for c in sorted(set(sub["category"]))}, dtype=bool)
    flags[MEAN_ROW] = bool(done)
    return flags


def seed_stats(frame: pd.DataFrame, dataset: str, method: str, metric: str) -> pd.DataFrame:
    """Mean, std and seed count per category, plus the ``mean`` row (see the module docstring).

    Args:
        frame: Long metrics table (``dataset, category, method, seed, metric, value``).
        dataset: Data set to select.
        method: Method to select.
        metric: Metric to select.

    Returns:
        DataFrame indexed by category (sorted) then ``mean``, columns ``mean, std, n_seeds``
        (unscaled); empty when the selection is empty.
    """
    sub = frame[(frame["dataset"] == dataset) & (frame["method"] == method) & (frame["metric"] == metric)]
    if sub.empty:
        return pd.DataFrame(columns=["mean", "std", "n_seeds"], dtype=float)
    wide = sub.set_index(["category", "seed"])["value"].unstack("seed").sort_index()  # (categories, seeds)
    stats = pd.DataFrame({"mean": wide.mean(axis=1), "std": wide.std(axis=1, ddof=1),
                          "n_seeds": wide.notna().sum(axis=1)})
    complete = wide.loc[:, wide.notna().all(axis=0)]
    per_seed = complete.mean(axis=0)  # (seeds,) category average of every complete seed
    cat_mean = wide.mean(axis=1)
    stats.loc[MEAN_ROW] = [cat_mean.mean(skipna=False),
                           per_seed.std(ddof=1) if len(per_seed) > 1 else math.nan, len(per_seed)]
    return stats
