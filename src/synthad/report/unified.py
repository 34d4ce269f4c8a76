"""The unified table: every method x every category of each data set, under one protocol.

None of the papers can give this table: all methods on the same data, the same evaluation, with
seed variance and cost. Per data set, rows are category blocks (then the ``mean`` block), one row
per method; columns are the configured metrics (mean +- std over seeds, scaled by
``ReportConfig.scale``, best method of the block in bold) and three cost columns: training hours
per run (CPU- or GPU-hours, the device is in the footnote), inference images/s and the peak
memory of training or evaluation, whichever is higher (MiB). Statistics are those of
:func:`.tables.seed_stats`.

Files: ``unified_<dataset>.csv|.tex|.json`` (layout, :mod:`.grid`) and
``unified_<dataset>_values.csv`` (numbers: one row per category/method).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from synthad.config import ReportConfig
from synthad.report.grid import Cell, Grid, Row, write_grid
from synthad.report.settings import scale_text
from synthad.report.tables import MEAN_ROW, PRETTY, seed_stats

COST_COLUMNS = {"train_hours": "train [h]", "inference_images_per_s": "img/s", "peak_memory_mb": "peak [MiB]"}


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


def unified_grid(frame: pd.DataFrame, dataset: str, settings: pd.DataFrame, config: ReportConfig) -> Grid:
    """The unified table of one data set as a :class:`~.grid.Grid`."""
    values = unified_values(frame, dataset, config)
    header = ["category / method"] + [PRETTY.get(m, m) for m in config.metrics] + list(COST_COLUMNS.values())
    rows, previous = [], None
    for category, block in values.groupby("category", sort=False):
        best = {m: block[f"{m}_mean"].max() for m in config.metrics}
        for r in block.itertuples(index=False):
            r = r._asdict()
            cells = [
                Cell(
                    ours=[r[f"{m}_mean"]],
                    std=[r[f"{m}_std"]],
                    bold=bool(len(block) > 1 and np.isfinite(r[f"{m}_mean"]) and r[f"{m}_mean"] == best[m]),
                )
                for m in config.metrics
            ]
            cells += [_cost_cell(float(r[c]), c) for c in COST_COLUMNS]
            rows.append(Row(f"{category}: {r['method']}", cells, rule=previous not in (None, category)))
            previous = category
    return Grid(
        f"unified_{dataset}",
        f"All methods on {dataset}, one protocol: mean ± std over seeds",
        header,
        rows,
        _notes(frame, dataset, settings, config),
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


def write_unified_tables(
    frame: pd.DataFrame, settings: pd.DataFrame, config: ReportConfig, out: Path
) -> list[Path]:
    """Write the unified table of every data set of ``frame`` into ``out`` (an existing folder)."""
    written = []
    for dataset in sorted(frame["dataset"].unique()):
        grid = unified_grid(frame, dataset, settings, config)
        written += write_grid(grid, out)
        values = out / f"unified_{dataset}_values.csv"
        unified_values(frame, dataset, config).round(6).to_csv(values, index=False)
        written.append(values)
    return written
