r"""Summary, comparison and cost tables from ``results/metrics.csv`` (CSV and LaTeX booktabs).

Statistics: :func:`.statistics.seed_stats` (mean and sample std over seeds; the ``mean`` row over
categories).

* Metric values are multiplied by ``ReportConfig.scale`` (100 -> percent) and rounded to
  ``ReportConfig.decimals`` in both CSV and LaTeX; cost figures are not scaled.
* A metric the runs did not measure (every pixel metric of a data set without pixel masks,
  ``pixel_masks: false``) is ``n/a`` in CSV and LaTeX; an undefined one (NaN) is empty / "--".

Files (written into ``--out`` atomically as a whole):

* ``summary_<dataset>_<method>.csv|.tex``: rows categories + mean, columns the configured metrics
  (CSV: ``<metric>_mean``, ``<metric>_std``, ``n_seeds``);
* ``compare_<dataset>_<metric>.csv|.tex``: rows categories + mean, columns methods (CSV:
  ``<method>_mean``, ``<method>_std``), best method per row in bold, for the headline metrics;
* ``cost_<dataset>.csv|.tex``: rows methods, columns training seconds, inference images/s and peak
  memory, mean over categories and seeds;
* ``unified_<dataset>.*``: every method x category with every metric and cost (:mod:`.unified`);
* ``papers/paper_<paper>_<table>.*``: each transcribed paper table in its layout, claimed | ours |
  delta (:mod:`.paper_tables`), and ``papers/overview.csv`` (per table: numbers per status).

The ``.tex`` files are ``table`` environments meant for ``\input``; they need ``booktabs``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from synthad.config import ReportConfig
from synthad.errors import DataError
from synthad.report.paper_tables import write_paper_tables
from synthad.report.settings import read_settings_csv
from synthad.report.statistics import MEAN_ROW, measured, seed_stats
from synthad.report.table_format import HEADLINE_METRICS, NOT_MEASURED, PIXEL_METRICS, PRETTY, escape_latex
from synthad.report.unified import write_unified_tables
from synthad.utils.io import atomic_dir

COST_METRICS = ("train_seconds", "inference_images_per_s", "train_peak_memory_mb", "eval_peak_memory_mb")


# --------------------------------------------------------------------------- tables
def _scaled(stats: pd.DataFrame, scale: float, decimals: int) -> pd.DataFrame:
    out = stats.copy()
    out[["mean", "std"]] = (out[["mean", "std"]].astype(float) * scale).round(decimals)
    return out


def summary_table(frame: pd.DataFrame, dataset: str, method: str, config: ReportConfig) -> pd.DataFrame:
    """Rows categories + ``mean``; columns ``<metric>_mean``, ``<metric>_std`` per metric, ``n_seeds``."""
    parts, n_seeds = {}, None
    for metric in config.metrics:
        stats = _scaled(seed_stats(frame, dataset, method, metric), config.scale, config.decimals)
        parts[f"{metric}_mean"], parts[f"{metric}_std"] = stats["mean"], stats["std"]
        n_seeds = stats["n_seeds"] if n_seeds is None else n_seeds.combine(stats["n_seeds"], max, 0)
    table = pd.DataFrame(parts)
    table["n_seeds"] = n_seeds.astype(int)
    for metric in config.metrics:
        _mark_not_measured(table, metric, ~measured(frame, dataset, method, metric))
    return _mean_last(table)


def compare_table(frame: pd.DataFrame, dataset: str, metric: str, methods: list[str],
                  config: ReportConfig) -> pd.DataFrame:
    """Rows categories + ``mean``; columns ``<method>_mean``, ``<method>_std`` for one metric."""
    parts = {}
    for method in methods:
        stats = _scaled(seed_stats(frame, dataset, method, metric), config.scale, config.decimals)
        parts[f"{method}_mean"], parts[f"{method}_std"] = stats["mean"], stats["std"]
    table = pd.DataFrame(parts)
    for method in methods:
        _mark_not_measured(table, method, ~measured(frame, dataset, method, metric))
    return _mean_last(table)


def _mark_not_measured(table: pd.DataFrame, name: str, absent: pd.Series) -> None:
    """Write ``n/a`` into ``<name>_mean``/``<name>_std`` of the rows ``absent`` flags (in place)."""
    absent = absent.reindex(table.index, fill_value=False).astype(bool)
    if absent.any():
        columns = [f"{name}_mean", f"{name}_std"]
        table[columns] = table[columns].astype(object)
        table.loc[absent, columns] = NOT_MEASURED


def cost_table(frame: pd.DataFrame, dataset: str, methods: list[str]) -> pd.DataFrame:
    """Rows methods; columns the cost metrics, mean over every category and seed, and ``n_runs``."""
    sub = frame[(frame["dataset"] == dataset) & frame["metric"].isin(COST_METRICS)]
    table = sub.pivot_table(index="method", columns="metric", values="value", aggfunc="mean")
    table = table.reindex(index=methods, columns=list(COST_METRICS)).round(2)
    runs = frame[frame["dataset"] == dataset].groupby("method")[["category", "seed"]].apply(
        lambda g: len(g.drop_duplicates()))
    table["n_runs"] = runs.reindex(methods).fillna(0).astype(int)
    return table


def _mean_last(table: pd.DataFrame) -> pd.DataFrame:
    order = sorted(i for i in table.index if i != MEAN_ROW) + [MEAN_ROW]
    table = table.reindex(order)
    table.index.name = "category"
    return table


# --------------------------------------------------------------------------- LaTeX
def format_cell(mean: float, std: float, decimals: int) -> str:
    r"""``"98.1 $\pm$ 0.3"``; just the mean when ``std`` is NaN (one seed); ``"--"`` when NaN."""
    if mean is None or not np.isfinite(mean):
        return "--"
    text = f"{mean:.{decimals}f}"
    if std is not None and np.isfinite(std):
        text += rf" $\pm$ {std:.{decimals}f}"
    return text


def latex_table(header: list[str], rows: list[list[str]], caption: str, label: str) -> str:
    r"""A booktabs ``table`` with a left-aligned first column; a rule separates the ``mean`` row.

    Args:
        header: Column titles (already LaTeX; escape plain text with :func:`escape_latex`).
        rows: Cells (already LaTeX), each row as long as ``header``.
        caption: Caption (already LaTeX).
        label: ``\label`` key.

    Returns:
        The LaTeX source, ending with a newline.
    """
    lines = [r"\begin{table}[t]", r"\centering", rf"\caption{{{caption}}}", rf"\label{{{label}}}",
             rf"\begin{{tabular}}{{l{'c' * (len(header) - 1)}}}", r"\toprule",
             " & ".join(header) + r" \\", r"\midrule"]
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"LaTeX row has {len(row)} cells, header has {len(header)}")
        if row[0] == MEAN_ROW:
            lines.append(r"\midrule")
        lines.append(" & ".join(row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def _best_mask(means: pd.DataFrame) -> pd.DataFrame:
    """True where a cell holds its row's maximum (ties all bold); nothing bold with one column."""
    if means.shape[1] < 2:
        return means.notna() & False
    return means.eq(means.max(axis=1), axis=0) & means.notna()


def table_to_latex(table: pd.DataFrame, names: list[str], caption: str, label: str, decimals: int,
                   bold_best: bool = False) -> str:
    """Render a ``<name>_mean``/``<name>_std`` table (summary or compare) as booktabs LaTeX."""
    raw = table[[f"{n}_mean" for n in names]].set_axis(names, axis=1)
    means = raw.apply(pd.to_numeric, errors="coerce")  # n/a (not measured) -> NaN, never bold
    stds = table[[f"{n}_std" for n in names]].set_axis(names, axis=1).apply(pd.to_numeric, errors="coerce")
    bold = _best_mask(means) if bold_best else means.notna() & False
    rows = []
    for idx in table.index:
        cells = [NOT_MEASURED if raw.at[idx, n] == NOT_MEASURED
                 else format_cell(means.at[idx, n], stds.at[idx, n], decimals) for n in names]
        cells = [rf"\textbf{{{c}}}" if bold.at[idx, n] else c for c, n in zip(cells, names, strict=True)]
        rows.append([MEAN_ROW if idx == MEAN_ROW else escape_latex(idx)] + cells)
    header = ["category"] + [escape_latex(PRETTY.get(n, n)) for n in names]
    return latex_table(header, rows, caption, label)


def cost_to_latex(table: pd.DataFrame, caption: str, label: str) -> str:
    """Render :func:`cost_table` as booktabs LaTeX."""
    header = ["method"] + [escape_latex(PRETTY.get(c, c)) for c in COST_METRICS] + ["runs"]
    rows = [[escape_latex(m)] + [format_cell(table.at[m, c], math.nan, 1) for c in COST_METRICS]
            + [str(table.at[m, "n_runs"])] for m in table.index]
    return latex_table(header, rows, caption, label)


# --------------------------------------------------------------------------- files
def _check_metrics(frame: pd.DataFrame, metrics: list[str], source: str) -> None:
    # Pixel metrics may be missing everywhere: only data sets without pixel masks were run.
    unknown = sorted(set(metrics) - set(frame["metric"]) - set(PIXEL_METRICS))
    if unknown:
        raise DataError(f"{source}: no values for configured metric(s) {', '.join(unknown)} "
                        f"(available: {', '.join(sorted(set(frame['metric'])))})")


def _write_pair(out: Path, stem: str, table: pd.DataFrame, tex: str) -> list[Path]:
    table.to_csv(out / f"{stem}.csv")
    (out / f"{stem}.tex").write_text(tex)
    return [out / f"{stem}.csv", out / f"{stem}.tex"]


def _dataset_tables(frame: pd.DataFrame, dataset: str, config: ReportConfig, out: Path) -> list[Path]:
    methods = sorted(frame.loc[frame["dataset"] == dataset, "method"].unique())
    scale = "" if config.scale == 1 else rf" ($\times{config.scale:g}$)"
    written = []
    for method in methods:
        table = summary_table(frame, dataset, method, config)
        tex = table_to_latex(table, config.metrics, f"{escape_latex(method)} on {escape_latex(dataset)}: "
                             rf"mean $\pm$ std over seeds{scale}.", f"tab:summary:{dataset}:{method}",
                             config.decimals)
        written += _write_pair(out, f"summary_{dataset}_{method}", table, tex)
    for metric in (m for m in HEADLINE_METRICS if m in set(frame.loc[frame["dataset"] == dataset, "metric"])):
        table = compare_table(frame, dataset, metric, methods, config)
        tex = table_to_latex(table, methods, f"{escape_latex(PRETTY[metric])} on {escape_latex(dataset)}, "
                             rf"all methods (best in bold){scale}.", f"tab:compare:{dataset}:{metric}",
                             config.decimals, bold_best=True)
        written += _write_pair(out, f"compare_{dataset}_{metric}", table, tex)
    cost = cost_table(frame, dataset, methods)
    written += _write_pair(out, f"cost_{dataset}", cost, cost_to_latex(
        cost, f"Cost on {escape_latex(dataset)}: mean over categories and seeds.", f"tab:cost:{dataset}"))
    return written


def write_tables(frame: pd.DataFrame, config: ReportConfig, out: str | Path,
                 source: str = "metrics.csv", claims: list | None = None,
                 settings: pd.DataFrame | None = None, datasets: dict[str, str] | None = None,
                 variants: dict | None = None) -> list[Path]:
    """Write every table into ``out`` (atomically): per data set, the unified table, the paper tables.

    Args:
        frame: Long metrics table.
        config: Metrics, scale, decimals, colour thresholds.
        out: Output folder (replaced as a whole on success).
        source: Name of the metrics file for error messages.
        claims: Transcribed paper tables written into ``out/papers/`` (:mod:`.paper_tables`,
            with ``papers/overview.csv``); none when ``None``.
        settings: Run settings (:mod:`.settings`) for the scale notes; unknown when ``None``.
        datasets: Our data set name -> registry source key, to match paper data sets
            (:mod:`.matching`); ``None``: every name is its own key.
        variants: The ``params.yaml`` variants (name -> :class:`~synthad.config.VariantEntry`),
            which fill the paper-table entries with overrides; none when ``None``.

    Returns:
        Final paths of the files written.

    Raises:
        DataError: The table is empty or a configured metric has no values at all.
    """
    if frame.empty:
        raise DataError(f"{source}: no rows")
    _check_metrics(frame, config.metrics, source)
    settings = read_settings_csv(None) if settings is None else settings
    out = Path(out)
    with atomic_dir(out) as tmp:
        written = []
        for dataset in sorted(frame["dataset"].unique()):
            written += _dataset_tables(frame, dataset, config, tmp)
        written += write_unified_tables(frame, settings, config, tmp)
        if claims is not None:
            (tmp / "papers").mkdir()
            papers, overview = write_paper_tables(claims, frame, settings, datasets, config, tmp / "papers",
                                                  variants)
            overview.to_csv(tmp / "papers" / "overview.csv", index=False)
            written += papers + [tmp / "papers" / "overview.csv"]
    return [out / p.relative_to(tmp) for p in written]
