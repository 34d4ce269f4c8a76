"""Match the papers' claimed numbers with our runs: one record per printed number.

A claimed cell (paper data set, category, entry, metric) is filled by our runs of the entry's
``method`` on the same data set and category, when the entry is ours with no ``overrides``; an
entry with ``overrides`` is filled by the runs of the ``params.yaml`` variant whose ``method`` is
the entry's and whose ``params`` equal its overrides (:func:`synthad.config.variant_for`):

* **Data sets.** A claim names a data set by its registry key (``mvtec_ad``, ``mpdd``...). One of
  ours matches it when its ``params.yaml`` entry's ``source`` is that key, falling back to the
  entry's name (``data.datasets.mvtec_ad: {...}`` matches; ``metal_plate: {source: folder}`` does
  not: a folder is not the paper's data set). A derived data set ``rto:mvtec_ad`` (``source: rto``)
  is our re-creation of Lv et al.'s ``MAD-RTO`` (:data:`ALIASES`).
* **Units.** Ours are fractions; a ``percent`` claim gets ours x 100, a ``fraction`` claim ours
  as is. ``inference_fps`` is our ``inference_images_per_s`` and ``inference_ms`` its inverse x 1000
  (other hardware: the footnote says so); ``model_size_gb`` is not measured.
* **Averages.** A printed average (``mean``, ``texture_mean``, ``object_mean``), or a cell whose
  category is ``mean`` (ablation tables), is our mean over the same categories (the data set's
  registry categories for ``mean`` cells), with the seed spread of :func:`.tables.seed_stats`; it
  is filled only when every one of those categories was run (else status ``partial``). A printed
  ``std`` over categories is the population std (ddof 0) of our category means, as the papers'.
* **Status** of each record: ``reproduced``; ``claim_only`` (not our method, or a variant our code
  cannot express); ``variant`` (an ablation row whose ``overrides`` no variant of
  ``params.yaml`` runs); ``not_measured``; ``not_run`` (no run of ours on that data set/category);
  ``partial`` (an average over categories not all run).

``delta = ours_mean - claimed`` in the table's unit (percentage points for ``percent``).
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np
import pandas as pd

from synthad.config import VariantEntry, variant_for
from synthad.data.registry import RTO_PREFIX, get_dataset
from synthad.errors import SynthADError
from synthad.report.claims import ClaimTable, GridCell
from synthad.report.statistics import MEAN_ROW, seed_stats

ALIASES = {f"{RTO_PREFIX}mvtec_ad": "MAD-RTO"}  # our derived data set -> the paper's name for it
SOURCE_METRIC = {
    "pixel_spro": "pixel_auspro",  # LOCO's official headline: mean of structural and logical (loco.py)
    "inference_fps": "inference_images_per_s",
    "inference_ms": "inference_images_per_s",
}
NOT_MEASURED = {"model_size_gb"}
AVERAGES = ("mean", "texture_mean", "object_mean")
STATUSES = ("reproduced", "claim_only", "variant", "not_measured", "not_run", "partial")
RECORD_COLUMNS = [
    "paper",
    "table",
    "grid_row",
    "grid_col",
    "pos",
    "kind",
    "dataset",
    "category",
    "entry",
    "label",
    "method",
    "overrides",
    "our_method",
    "metric",
    "unit",
    "claimed",
    "ours_mean",
    "ours_std",
    "n_seeds",
    "delta",
    "status",
    "our_dataset",
]


def claim_datasets(datasets: dict[str, str]) -> dict[str, list[str]]:
    """Paper data set name -> our data set names (``params.yaml`` entries) that reproduce it.

    Args:
        datasets: Our data set name -> its registry source key (``dataset_source`` of the workflow).
    """
    out: dict[str, list[str]] = {}
    for name, source in sorted(datasets.items()):
        out.setdefault(ALIASES.get(source, source), []).append(name)
    return out


def to_unit(values: pd.Series, metric: str, unit: str) -> pd.Series:
    """Our values of ``metric`` (fractions, images/s) in a claim's unit."""
    if metric == "inference_ms":
        return 1000.0 / values
    return values * 100.0 if unit == "percent" else values


def registry_categories(dataset: str, average: str = "mean") -> tuple[str, ...] | None:
    """The categories a paper data set's ``average`` covers (``None``: unknown, e.g. ``MF``).

    Args:
        dataset: Paper data set name (registry key or an :data:`ALIASES` value).
        average: ``mean`` (all), ``object_mean`` or ``texture_mean`` (by the registry's objects).
    """
    source = {v: k for k, v in ALIASES.items()}.get(dataset, dataset)
    try:
        spec = get_dataset(source)
    except SynthADError:
        return None
    if average == "mean":
        return tuple(spec.categories) or None
    if not spec.object_categories:
        return None
    objects = average == "object_mean"
    return tuple(c for c in spec.categories if (c in spec.object_categories) == objects) or None


class Matcher:
    """Looks up our seed statistics for claimed cells (cached per data set, method, metric)."""

    def __init__(
        self,
        metrics: pd.DataFrame,
        datasets: dict[str, str] | None = None,
        variants: dict[str, VariantEntry] | None = None,
    ):
        """Index our runs.

        Args:
            metrics: Long metrics table.
            datasets: Ours -> registry source (identity if None).
            variants: The ``params.yaml`` ``variants`` (none if None).
        """
        self.metrics = metrics
        self.variants = variants or {}
        names = sorted(metrics["dataset"].unique()) if not metrics.empty else []
        self.ours = claim_datasets(datasets if datasets is not None else {n: n for n in names})
        self._cache: dict[tuple, pd.DataFrame] = {}

    @cached_property
    def _run_keys(self) -> set[tuple[str, str]]:
        return set(map(tuple, self.metrics[["dataset", "method"]].drop_duplicates().to_numpy()))

    def run_name(self, method: str, overrides: dict | None) -> str | None:
        """Our ``methods`` name whose runs fill an entry.

        That is ``method`` itself when the entry has no overrides, else the variant with exactly
        those overrides (``None``: no such variant).
        """
        return variant_for(self.variants, method, overrides) if overrides else method

    def our_dataset(self, dataset: str, method: str) -> str | None:
        """Our first data set that reproduces ``dataset`` and has runs of ``method``."""
        return next((d for d in self.ours.get(dataset, []) if (d, method) in self._run_keys), None)

    def values(self, ours: str, method: str, metric: str, unit: str) -> pd.DataFrame:
        """Long rows ``category, seed, value`` of our runs, converted to the claim's unit."""
        key = (ours, method, metric, unit)
        if key not in self._cache:
            m = self.metrics
            sub = m[
                (m["dataset"] == ours)
                & (m["method"] == method)
                & (m["metric"] == SOURCE_METRIC.get(metric, metric))
            ].copy()
            sub["value"] = to_unit(sub["value"].astype(float), metric, unit)
            sub["metric"] = metric
            self._cache[key] = sub
        return self._cache[key]

    def stats(
        self, ours: str, method: str, metric: str, unit: str, category: str, over: tuple[str, ...] | None
    ) -> tuple[float, float, int, str]:
        """``(mean, std, n_seeds, status)`` of one claimed number (see the module docstring)."""
        sub = self.values(ours, method, metric, unit)
        if category not in AVERAGES and category != "std":
            stats = seed_stats(sub, ours, method, metric)
            if category not in stats.index or not np.isfinite(stats.at[category, "mean"]):
                return math.nan, math.nan, 0, "not_run"
            row = stats.loc[category]
            return float(row["mean"]), float(row["std"]), int(row["n_seeds"]), "reproduced"
        if not over:
            return math.nan, math.nan, 0, "not_run"
        sub = sub[sub["category"].isin(over)]
        done = set(sub.dropna(subset=["value"])["category"])
        if done != set(over):
            return math.nan, math.nan, 0, "partial" if done else "not_run"
        stats = seed_stats(sub, ours, method, metric)
        if category == "std":  # the papers' spread over categories: population std of category means
            means = stats.drop(index=MEAN_ROW)["mean"]
            return float(means.std(ddof=0)), math.nan, int(stats.at[MEAN_ROW, "n_seeds"]), "reproduced"
        row = stats.loc[MEAN_ROW]
        return float(row["mean"]), float(row["std"]), int(row["n_seeds"]), "reproduced"


def _status(table: ClaimTable, cell: GridCell, metric: str, matcher: Matcher) -> str | None:
    """Status decided by the claim and the configuration alone (``None``: look for runs)."""
    entry = table.entries[cell.entry]
    if entry.method is None or not entry.implemented:
        return "claim_only"
    if matcher.run_name(entry.method, entry.overrides) is None:
        return "variant"
    return "not_measured" if metric in NOT_MEASURED else None


def _records(
    table: ClaimTable,
    cell: GridCell,
    grid: tuple[int, int],
    kind: str,
    over: tuple[str, ...] | None,
    matcher: Matcher,
) -> list[dict]:
    entry, out = table.entries[cell.entry], []
    for pos, (metric, claimed) in enumerate(zip(cell.metrics, cell.values, strict=True)):
        unit = table.metrics[metric].unit
        status, ours, name = _status(table, cell, metric, matcher), None, None
        mean, std, n = math.nan, math.nan, 0
        if status is None:
            name = matcher.run_name(entry.method, entry.overrides)
            ours = matcher.our_dataset(cell.dataset, name)
            status = "not_run"
            if ours is not None:
                mean, std, n, status = matcher.stats(ours, name, metric, unit, cell.category, over)
        claimed = math.nan if claimed is None else float(claimed)
        out.append(
            {
                "paper": table.paper,
                "table": table.table,
                "grid_row": grid[0],
                "grid_col": grid[1],
                "pos": pos,
                "kind": kind,
                "dataset": cell.dataset,
                "category": cell.category,
                "entry": cell.entry,
                "label": entry.label,
                "method": entry.method,
                "overrides": entry.overrides or {},
                "our_method": name,
                "metric": metric,
                "unit": unit,
                "claimed": claimed,
                "ours_mean": mean,
                "ours_std": std,
                "n_seeds": n,
                "delta": mean - claimed,
                "status": status,
                "our_dataset": ours,
            }
        )
    return out


def match_table(table: ClaimTable, matcher: Matcher) -> pd.DataFrame:
    """Every printed number of one paper table with ours beside it.

    Printed summaries get grid positions after the data: an ``axis: rows`` summary is an extra row
    (``grid_row = n_rows + k``), an ``axis: columns`` one an extra column (``grid_col = n_cols + k``).

    Returns:
        DataFrame with :data:`RECORD_COLUMNS` (``overrides`` as dicts).
    """
    records = []
    for cell in table.cells:
        over = registry_categories(cell.dataset, cell.category) if cell.category in AVERAGES else None
        records += _records(table, cell, (cell.row, cell.col), "value", over, matcher)
    extra = {"rows": 0, "columns": 0}
    for summary in table.summaries:
        k = extra[summary.axis]
        extra[summary.axis] += 1
        for n, cell in enumerate(summary.cells):
            grid = (table.n_rows + k, n) if summary.axis == "rows" else (n, table.n_cols + k)
            records += _records(table, cell, grid, f"printed_{summary.statistic}", summary.over, matcher)
    frame = pd.DataFrame.from_records(records, columns=RECORD_COLUMNS)
    frame["overrides"] = frame["overrides"].map(lambda o: o if isinstance(o, dict) else {})
    return frame
