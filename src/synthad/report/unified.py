"""The unified table: every method x every category of each data set, under one protocol.

None of the papers can give this table: all methods on the same data, the same evaluation, with
seed variance and cost. Per data set, rows are category blocks (then the ``mean`` block), one row
per method; columns are the configured metrics (mean +- std over seeds, scaled by
``ReportConfig.scale``, best method of the block in bold) and three cost columns: training hours
per run (CPU- or GPU-hours, the device is in the footnote), inference images/s and the peak
memory of training or evaluation, whichever is higher (MiB). Statistics are those of
:func:`.statistics.seed_stats`. When a data set's runs were trained with a decision threshold
(``threshold.json``, :mod:`synthad.evaluation.threshold`), precision and recall at each run's own
threshold follow the configured metrics (``Prec@thr``, ``Rec@thr``).

A metric no run of a cell measured (every pixel metric of a data set without pixel masks) prints
``n/a`` in every file, an undefined one (NaN) a dash, or an empty cell in the values CSV.

Files: ``unified_<dataset>.csv|.tex|.json`` (layout, :mod:`.grid`) and
``unified_<dataset>_values.csv`` (numbers: one row per category/method).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd

from synthad.config import ReportConfig
from synthad.report.grid import Cell, Grid, Row, write_grid
from synthad.report.settings import scale_text
from synthad.report.statistics import MEAN_ROW, measured, seed_stats
from synthad.report.table_format import NOT_MEASURED, PRETTY

COST_COLUMNS = {"train_hours": "train [h]", "inference_images_per_s": "img/s", "peak_memory_mb": "peak [MiB]"}
DECISION_METRICS = ("decision_precision", "decision_recall")  # at each run's threshold (metrics.json)


def with_decisions(frame: pd.DataFrame, dataset: str, config: ReportConfig) -> ReportConfig:
    """``config`` with :data:`DECISION_METRICS` after its metrics, when runs of ``dataset`` have them.

    Runs trained with a held-out split report precision and recall at their own threshold; a
    threshold-free table would hide whether the method can decide at all.
    """
    present = set(frame.loc[frame["dataset"] == dataset, "metric"])
    extra = [m for m in DECISION_METRICS if m in present and m not in config.metrics]
    return dataclasses.replace(config, metrics=[*config.metrics, *extra]) if extra else config


def _with_derived(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``train_hours`` and ``peak_memory_mb`` rows (per run) to the long table."""
    keys = ["dataset", "category", "method", "seed"]
    wide = frame.pivot_table(index=keys, columns="metric", values="value", aggfunc="first")
    derived = pd.DataFrame(index=wide.index)
    if "train_seconds" in wide:
        derived["train_hours"] = wide["train_seconds"] / 3600.0
    peaks = [c for c in ("train_peak_memory_mb", "eval_peak_memory_mb") if c in wide]
    if peaks:
        derived["peak_memory_mb"] = wide[peaks].max(axis=1)
    long = derived.reset_index().melt(id_vars=keys, var_name="metric", value_name="value")
    return pd.concat([frame[keys + ["metric", "value"]], long], ignore_index=True)


def unified_values(frame: pd.DataFrame, dataset: str, config: ReportConfig) -> pd.DataFrame:
    """Numbers of the unified table of one data set.

    Returns:
        DataFrame with columns ``category, method, n_seeds``, ``<metric>_mean``/``<metric>_std``
        per configured metric (scaled), and the cost columns (``train_hours``,
        ``inference_images_per_s``, ``peak_memory_mb``; means, unscaled). Categories sorted, the
        ``mean`` row last in each method's block.
    """
    frame = _with_derived(frame[frame["dataset"] == dataset])
    parts = []
    for method in sorted(frame["method"].unique()):
        table = pd.DataFrame()
        for metric in config.metrics:
            stats = seed_stats(frame, dataset, method, metric)
            table[f"{metric}_mean"] = stats["mean"].astype(float) * config.scale
            table[f"{metric}_std"] = stats["std"].astype(float) * config.scale
            table["n_seeds"] = stats["n_seeds"]
        for metric in COST_COLUMNS:
            table[metric] = seed_stats(frame, dataset, method, metric)["mean"]
        parts.append(table.rename_axis("category").reset_index().assign(method=method))
    values = pd.concat(parts, ignore_index=True)
    order = sorted(c for c in values["category"].unique() if c != MEAN_ROW) + [MEAN_ROW]
    values["category"] = pd.Categorical(values["category"], order, ordered=True)
    values = values.sort_values(["category", "method"]).reset_index(drop=True)
    values["category"] = values["category"].astype(str)
    return values[
        ["category", "method", "n_seeds"]
        + [c for c in values if c.endswith(("_mean", "_std"))]
        + list(COST_COLUMNS)
    ]


COST_DECIMALS = {"train_hours": 3, "inference_images_per_s": 1, "peak_memory_mb": 0}


def _cost_cell(value: float, column: str) -> Cell:
    return Cell(ours=[value if math.isfinite(value) else math.nan], decimals=COST_DECIMALS[column])


def not_measured(frame: pd.DataFrame, dataset: str, values: pd.DataFrame,
                 config: ReportConfig) -> pd.DataFrame:
    """``True`` per row of :func:`unified_values` and configured metric where no run measured it.

    Returns:
        Bool DataFrame, ``values``' index, one column per metric of ``config.metrics``.
    """
    flags = pd.DataFrame(False, index=values.index, columns=list(config.metrics))
    for method, rows in values.groupby("method").groups.items():
        for metric in config.metrics:
            done = values.loc[rows, "category"].map(measured(frame, dataset, method, metric))
            flags.loc[rows, metric] = ~done.fillna(True).astype(bool)
    return flags


def _metric_cell(row: dict, metric: str, absent: bool, best: float, compared: bool) -> Cell:
    if absent:
        return Cell(not_measured=True)
    mean = row[f"{metric}_mean"]
    bold = bool(compared and np.isfinite(mean) and mean == best)
    return Cell(ours=[mean], std=[row[f"{metric}_std"]], bold=bold)


def unified_grid(frame: pd.DataFrame, dataset: str, settings: pd.DataFrame, config: ReportConfig) -> Grid:
    """The unified table of one data set as a :class:`~.grid.Grid`."""
    values = unified_values(frame, dataset, config)
    absent = not_measured(frame, dataset, values, config)
    header = ["category / method"] + [PRETTY.get(m, m) for m in config.metrics] + list(COST_COLUMNS.values())
    rows, previous = [], None
    for category, block in values.groupby("category", sort=False):
        best = {m: block[f"{m}_mean"].max() for m in config.metrics}
        for pos, r in zip(block.index, block.itertuples(index=False), strict=True):
            r = r._asdict()
            cells = [_metric_cell(r, m, absent.at[pos, m], best[m], len(block) > 1) for m in config.metrics]
            cells += [_cost_cell(float(r[c]), c) for c in COST_COLUMNS]
            rows.append(Row(f"{category}: {r['method']}", cells, rule=previous not in (None, category)))
            previous = category
    notes = _notes(frame, dataset, settings, config)
    if absent.to_numpy().any():
        notes.append(f"{NOT_MEASURED}: not measured by the runs (pixel metrics of a data set without pixel"
                     " masks, pixel_masks: false; decision metrics of runs without a threshold,"
                     " train.holdout_fraction: 0).")
    return Grid(
        f"unified_{dataset}",
        f"All methods on {dataset}, one protocol: mean ± std over seeds",
        header,
        rows,
        notes,
        config.decimals,
    )


def _notes(frame: pd.DataFrame, dataset: str, settings: pd.DataFrame, config: ReportConfig) -> list[str]:
    sub = frame[frame["dataset"] == dataset]
    seconds = sub[sub["metric"] == "train_seconds"]["value"]
    devices = sorted(set(settings[settings["dataset"] == dataset]["device"]) - {""}) or [
        "device not recorded"
    ]
    runs = len(sub[["category", "method", "seed"]].drop_duplicates())
    notes = [
        f"Metrics x {config.scale:g}; std over seeds (ddof 1); the mean block averages the categories "
        "(its std is over the per-seed averages); best method per block in bold.",
        f"Cost: training hours per run and peak memory (training or evaluation, MiB) on "
        f"{'/'.join(devices)}; {runs} runs took {seconds.sum() / 3600:.2f} h of training in all.",
    ]
    for method in sorted(sub["method"].unique()):
        notes.append(f"{method}: {scale_text(settings, dataset, method)}.")
    return notes


def _with_not_measured(values: pd.DataFrame, frame: pd.DataFrame, dataset: str,
                       config: ReportConfig) -> pd.DataFrame:
    """``values`` with ``n/a`` in the mean and std of every metric no run measured (for the CSV)."""
    absent = not_measured(frame, dataset, values, config)
    out = values.copy()
    for metric in config.metrics:
        if absent[metric].any():
            columns = [f"{metric}_mean", f"{metric}_std"]
            out[columns] = out[columns].astype(object)
            out.loc[absent[metric], columns] = NOT_MEASURED
    return out


def write_unified_tables(
    frame: pd.DataFrame, settings: pd.DataFrame, base_config: ReportConfig, out: Path
) -> list[Path]:
    """Write the unified table of every data set of ``frame`` into ``out`` (an existing folder)."""
    written = []
    for dataset in sorted(frame["dataset"].unique()):
        config = with_decisions(frame, dataset, base_config)
        grid = unified_grid(frame, dataset, settings, config)
        written += write_grid(grid, out)
        values = out / f"unified_{dataset}_values.csv"
        _with_not_measured(unified_values(frame, dataset, config).round(6), frame, dataset, config).to_csv(
            values, index=False)
        written.append(values)
    return written
