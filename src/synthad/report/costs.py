"""What the pipeline cost, per phase and per method, from Snakemake's benchmark files.

Every rule of the workflow has a ``benchmark:`` file, ``logs/benchmarks/<rule>.tsv`` for a rule
without wildcards, else ``logs/benchmarks/<rule>/<wildcard>=<value>/.../<wildcard>=<value>.tsv``
(``train/dataset=demo/category=bottle/method=draem/seed=0.tsv``): the path alone tells the rule
and the job, so nothing here knows the rules' wildcards. Snakemake writes one row per run of the
job with, among others, ``s`` (wall seconds), ``max_rss`` (MiB) and ``cpu_time`` (user + system
seconds of the job's processes); ``NA`` where the job ended before its first sample.

Tables (each a DataFrame; :func:`cost_grids` renders them for the report):

* per phase (:data:`PHASES`, the DVC phases with pre-training apart): jobs, wall seconds and CPU
  seconds summed over the jobs, the largest max RSS;
* per method (jobs with a ``method`` wildcard: pretrain, train, evaluate): jobs, wall seconds per
  phase and in all, CPU seconds, the largest max RSS.

Seconds are summed over jobs ("job-seconds"): jobs run in parallel, so a phase's sum can exceed
its elapsed time. Each file holds the last run of its job: a job run again overwrites it, and
files of jobs no longer in the configuration stay until ``logs/benchmarks`` is removed.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from synthad.errors import DataError
from synthad.report.grid import Cell, Grid, Row

BENCHMARKS_DIR = Path("logs/benchmarks")
PHASES = {
    "data": ("demo", "download", "rto", "index"),
    "masks": ("masks",),
    "banks": ("textures_builtin", "textures_dtd", "natural_builtin", "natural_folder", "sdas_train",
              "sdas_classifier", "sdas_bank", "sdas_strength_sheet", "bank_sheet", "synthesis_sheets"),
    "pretrain": ("pretrain", "pretrain_variant"),
    "train": ("train", "train_variant", "train_all"),
    "evaluate": ("evaluate",),
    "report": ("aggregate", "tables", "figures", "plots", "dvc_data", "report_document"),
}
PHASE_OF_RULE = {rule: phase for phase, rules in PHASES.items() for rule in rules}
METHOD_PHASES = ("pretrain", "train", "evaluate")
JOB_COLUMNS = ["rule", "phase", "dataset", "category", "method", "seed", "wall_s", "cpu_s", "max_rss_mb"]


def job_of_path(path: Path, folder: Path) -> dict[str, str]:
    """Rule and wildcards of a benchmark file from its path below ``folder``.

    ``train/dataset=demo/method=draem/seed=0.tsv`` -> ``{"rule": "train", "dataset": "demo",
    "method": "draem", "seed": "0"}``; ``aggregate.tsv`` -> ``{"rule": "aggregate"}``.

    Raises:
        DataError: A part below the rule's folder is not ``<wildcard>=<value>``.
    """
    parts = path.relative_to(folder).with_suffix("").parts
    job = {"rule": parts[0]}
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise DataError(f"{path}: expected <wildcard>=<value> folders below the rule, got {part!r}")
        job[key] = value
    return job


def _read_tsv(path: Path) -> dict[str, float] | None:
    """Wall s, CPU s (means over the repeats of the job) and max RSS of one file; None if empty."""
    try:
        table = pd.read_csv(path, sep="\t", na_values=["NA", "-"])
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a Snakemake benchmark file ({exc})") from exc
    missing = {"s", "max_rss", "cpu_time"} - set(table.columns)
    if missing:
        raise DataError(f"{path}: not a Snakemake benchmark file (no column {', '.join(sorted(missing))})")
    if table.empty:
        return None
    numbers = table[["s", "max_rss", "cpu_time"]].apply(pd.to_numeric, errors="coerce")
    return {"wall_s": numbers["s"].mean(), "cpu_s": numbers["cpu_time"].mean(),
            "max_rss_mb": numbers["max_rss"].max()}


def read_benchmarks(folder: str | Path, skip_rules: tuple[str, ...] = ()) -> pd.DataFrame:
    """Every job of ``folder`` (``logs/benchmarks``): one row per benchmark file.

    Args:
        folder: The benchmarks folder; absent or empty gives an empty table (outputs pulled
            with DVC, or made before benchmarks were recorded).
        skip_rules: Rules left out (the report leaves out its own, still running).

    Returns:
        DataFrame with :data:`JOB_COLUMNS` (wildcards a job lacks are empty strings; numbers NaN
        where Snakemake wrote ``NA``), sorted by path.
    """
    folder = Path(folder)
    rows = []
    for path in sorted(folder.rglob("*.tsv")) if folder.is_dir() else []:
        job = job_of_path(path, folder)
        numbers = None if job["rule"] in skip_rules else _read_tsv(path)
        if numbers is not None:
            rows.append({**job, "phase": PHASE_OF_RULE.get(job["rule"], job["rule"]), **numbers})
    jobs = pd.DataFrame(rows, columns=JOB_COLUMNS)  # wildcards other than these are dropped
    text = ["dataset", "category", "method", "seed"]
    jobs[text] = jobs[text].fillna("").astype(str)
    return jobs


def _totals(jobs: pd.DataFrame) -> pd.DataFrame:
    """jobs, summed wall and CPU seconds (NaN only when no job of the group has a number), max RSS."""
    return pd.DataFrame({
        "jobs": jobs.groupby(level=0).size(),
        "wall_s": jobs["wall_s"].groupby(level=0).sum(min_count=1),
        "cpu_s": jobs["cpu_s"].groupby(level=0).sum(min_count=1),
        "max_rss_mb": jobs["max_rss_mb"].groupby(level=0).max(),
    })


def phase_costs(jobs: pd.DataFrame) -> pd.DataFrame:
    """One row per phase with jobs (phases in pipeline order, unknown ones after), and a ``total`` row."""
    if jobs.empty:
        return pd.DataFrame(columns=["jobs", "wall_s", "cpu_s", "max_rss_mb"]).rename_axis("phase")
    table = _totals(jobs.set_index("phase"))
    order = [p for p in PHASES if p in table.index] + sorted(set(table.index) - set(PHASES))
    table = table.reindex(order)
    table.loc["total"] = _totals(jobs.assign(all="total").set_index("all")).loc["total"]
    table["jobs"] = table["jobs"].astype(int)
    return table.rename_axis("phase")


def method_costs(jobs: pd.DataFrame) -> pd.DataFrame:
    """One row per method: jobs, wall seconds per phase of :data:`METHOD_PHASES`, totals, max RSS."""
    runs = jobs[jobs["method"] != ""]
    columns = ["jobs", *PHASE_COLUMNS, "wall_s", "cpu_s", "max_rss_mb"]
    if runs.empty:
        return pd.DataFrame(columns=columns).rename_axis("method")
    table = _totals(runs.set_index("method"))
    per_phase = runs.pivot_table(index="method", columns="phase", values="wall_s", aggfunc="sum")
    for phase in METHOD_PHASES:
        table[f"{phase}_wall_s"] = per_phase[phase] if phase in per_phase else math.nan
    table["jobs"] = table["jobs"].astype(int)
    return table[columns].sort_index().rename_axis("method")


# --------------------------------------------------------------------------- report grids
PHASE_HEADER = {"jobs": "jobs", "wall_s": "wall [s]", "cpu_s": "CPU [s]", "max_rss_mb": "max RSS [MiB]"}
PHASE_COLUMNS = tuple(f"{p}_wall_s" for p in METHOD_PHASES)
METHOD_HEADER = {"jobs": "jobs", **{f"{p}_wall_s": f"{p} [s]" for p in METHOD_PHASES},
                 "wall_s": "wall [s]", "cpu_s": "CPU [s]", "max_rss_mb": "max RSS [MiB]"}
NOTE = ("Seconds are summed over the jobs (jobs run in parallel, so a sum can exceed the elapsed "
        "time); CPU = user + system seconds of a job's processes; max RSS = the largest resident "
        "memory of one job. From Snakemake's benchmark files in {folder}, the last run of each job.")


WHOLE_NUMBERS = ("jobs", "max_rss_mb")  # printed without decimals


def _grid(table: pd.DataFrame, key: str, caption: str, header: dict[str, str], notes: list[str]) -> Grid:
    rows = [
        Row(str(label), [Cell(ours=[float(table.at[label, c])], decimals=0 if c in WHOLE_NUMBERS else 1)
                         for c in header], rule=label == "total")
        for label in table.index
    ]
    return Grid(key, caption, [table.index.name, *header.values()], rows, notes, 1)


def cost_grids(jobs: pd.DataFrame, folder: str | Path) -> list[Grid]:
    """The per-phase and per-method cost tables as grids (none when there is no job)."""
    if jobs.empty:
        return []
    note = NOTE.format(folder=folder)
    grids = [_grid(phase_costs(jobs), "costs_phases", "What each phase of the pipeline cost",
                   PHASE_HEADER, [note])]
    methods = method_costs(jobs)
    if not methods.empty:  # a phase no method ran (pre-training, mostly) gets no column
        ran = {c for c in PHASE_COLUMNS if methods[c].notna().any()}
        header = {c: t for c, t in METHOD_HEADER.items() if c not in PHASE_COLUMNS or c in ran}
        grids.append(_grid(methods, "costs_methods", "What each method cost (pre-training, training, "
                           "evaluation)", header, [note]))
    return grids

