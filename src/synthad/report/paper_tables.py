"""Each transcribed paper table in the paper's layout: claimed | ours (mean +- std) | delta.

The grid of a :class:`~synthad.report.claims.ClaimTable` is kept as printed (rows, columns, the
printed averages as extra rows or columns); each cell becomes a :class:`~.grid.Cell` from the
records of :func:`.matching.match_table`. Row and column titles are the coordinates that vary
along that axis (entry label, category, metric as printed, data set), unless the claims file
gives a ``label``. Markers: ``†`` a claim-only entry (not ours, or a variant our code cannot
express), ``‡`` an ablation variant no ``params.yaml`` variant runs (a row filled by one is titled
with its name, ``label [dmp_no_large_kernel]``). Footnotes say how to read a cell, the
scale of the paper's runs and of ours (image size, training length, seeds, device), the paper's
protocol, and why cells are empty.

Files per table (``<key> = paper_<paper>_<table>``, lower case): ``<key>.csv`` (layout, text
cells), ``<key>.tex``, ``<key>.json`` (the grid, for the HTML report) and ``<key>_cells.csv`` (one
row per printed number: claimed, ours_mean, ours_std, n_seeds, delta, status, ...).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import yaml

from synthad.config import ReportConfig, VariantEntry
from synthad.report.claims import ClaimTable
from synthad.report.grid import Cell, Grid, Row, band, places, write_grid
from synthad.report.matching import Matcher, match_table
from synthad.report.settings import scale_text

CLAIM_ONLY, VARIANT = "†", "‡"
UNIT_NAMES = {
    "percent": "percentage points",
    "fraction": "fraction units",
    "ms": "ms",
    "fps": "images/s",
    "GB": "GB",
}
BAND_FACTOR = {"percent": 1.0, "fraction": 0.01}  # colour thresholds are in percentage points


def table_key(table: ClaimTable) -> str:
    """File stem of a paper table: ``paper_dmp_1``, ``paper_ndpnet_ii``."""
    return f"paper_{table.paper}_{table.table}".lower()


def _marker(table: ClaimTable, entry_key: str, run_as: dict[str, str]) -> str:
    entry = table.entries[entry_key]
    if entry.method is None or not entry.implemented:
        return f" {CLAIM_ONLY}"
    return f" {VARIANT}" if entry.overrides and entry_key not in run_as else ""


def _entry_title(table: ClaimTable, key: str, run_as: dict[str, str], label: str | None = None) -> str:
    """Printed label + marker; our own rows name the method key or variant they are filled from.

    E.g. ``Ours [dmp]``, ``5 (Large Kernel, MVTec AD) [dmp_no_deep_features]``.

    Args:
        table: The claims table.
        key: Entry key.
        run_as: Entry key -> the variant of ``params.yaml`` that runs it (entries with overrides).
        label: Printed label to use instead of the entry's.
    """
    entry, marker = table.entries[key], _marker(table, key, run_as)
    label = entry.label if label is None else label
    return f"{label} [{run_as.get(key, entry.method)}]" if entry.method and not marker else label + marker


def _coord_text(table: ClaimTable, coord: str, value, run_as: dict[str, str]) -> str:
    if coord == "entry":
        return _entry_title(table, value, run_as)
    if coord == "metrics":
        return "/".join(table.metrics[m].printed_as for m in value)
    return str(value)


def _axis_titles(
    table: ClaimTable, axis: str, labels: list, run_as: dict[str, str]
) -> tuple[list[str], str]:
    """Titles of the data rows (``axis='row'``) or columns, and the axis name for the corner."""
    n = table.n_rows if axis == "row" else table.n_cols
    lines = [[c for c in table.cells if getattr(c, axis) == i] for i in range(n)]
    coords = ("entry", "category", "dataset", "metrics")
    # a line is named by the most common value of each coordinate that tells the lines apart (a
    # remapped metric in one cell, as DMP Table 4's row 1, does not hide the column's metric)
    modes, major = {}, {}
    for k in coords:
        counts = [pd.Series([getattr(c, k) for c in line]).value_counts() for line in lines]
        modes[k] = [c.index[0] for c in counts]
        major[k] = all(c.iloc[0] * 2 > c.sum() for c in counts)  # the mode holds most of every line
    varying = [k for k in coords if major[k] and len(set(modes[k])) > 1]
    if not varying:  # a single row or column: name it by what it holds
        varying = [
            next(
                k
                for k in ("metrics", "entry", "category", "dataset")
                if len({getattr(c, k) for c in lines[0]}) == 1
            )
        ]
    titles = []
    for i in range(n):
        given = labels[i].get("label") if i < len(labels) and isinstance(labels[i], dict) else None
        parts = [_coord_text(table, k, modes[k][i], run_as) for k in varying]
        if given and "entry" in varying:  # the printed label, but keep the entry's marker
            parts = [_entry_title(table, modes["entry"][i], run_as, str(given))]
        elif given:
            parts = [str(given)]
        titles.append(" ".join(parts))
    names = {"entry": "method", "metrics": "metric"}
    return titles, " / ".join(names.get(k, k) for k in varying)


def _cell(group: pd.DataFrame, config: ReportConfig) -> Cell:
    group = group.sort_values("pos")
    claimed = [None if math.isnan(v) else float(v) for v in group["claimed"]]
    if (group["status"] == "claim_only").all():
        return Cell(claimed=claimed)
    factor = BAND_FACTOR.get(group["unit"].iloc[0])
    bands = [
        band(d, config.delta_close * factor, config.delta_far * factor) if factor else ""
        for d in group["delta"]
    ]
    return Cell(
        claimed=claimed,
        ours=list(group["ours_mean"]),
        std=list(group["ours_std"]),
        delta=list(group["delta"]),
        bands=bands,
    )


def _decimals(records: pd.DataFrame) -> int:
    """The most common number of decimals of the claimed values (ours are printed alike)."""
    counts = pd.Series([places(v) for v in records["claimed"].dropna()], dtype=int)
    return int(min(counts.mode().max(), 3)) if not counts.empty else 1


def _notes(
    table: ClaimTable,
    records: pd.DataFrame,
    settings: pd.DataFrame,
    metrics: pd.DataFrame,
    config: ReportConfig,
) -> list[str]:
    units = sorted(set(records["unit"]))
    notes = [
        f"Cell: claimed (paper) / ours, mean ± std over seeds / Δ = ours − claimed in "
        f"{', '.join(UNIT_NAMES[u] for u in units)}; green Δ ≥ −{config.delta_close:g}, orange down to "
        f"−{config.delta_far:g}, red below (percentage points); — not run."
    ]
    status = set(records["status"])
    if "claim_only" in status:
        notes.append(
            f"{CLAIM_ONLY} claim only: not a method of SynthAD, or a variant its code cannot express."
        )
    if "variant" in status:
        notes.append(
            f"{VARIANT} ablation variant (Config overrides) not run: to fill its cells, add a "
            "`variants:` entry with its method and exactly these overrides as params to params.yaml "
            "and list the variant's name in `methods` (README \"Ablation variants\")."
        )
    if "partial" in status:
        notes.append("An average of ours is shown only when every category it covers was run.")
    if table.relative_to:
        notes.append(f"Claimed values are differences to row {table.relative_to!r}; ours are absolute.")
    notes.append(f"Paper: {table.resolution}.")
    ran = records[records["status"] == "reproduced"][["our_method", "our_dataset"]].drop_duplicates()
    for method, ours in ran.itertuples(index=False):
        res = metrics[(metrics["dataset"] == ours) & (metrics["metric"] == "resolution")]["value"]
        at = f", evaluated at {int(res.iloc[0])} px" if not res.empty else ""
        notes.append(f"Ours: {method} on {ours}: {scale_text(settings, ours, method)}{at}.")
    if ran.empty:
        notes.append(f"Ours: no run on {', '.join(sorted(set(records['dataset'])))} in this configuration.")
    if set(units) & {"ms", "fps"}:
        notes.append("Speed: ours on our device (see Ours), the paper's on its GPU: not comparable.")
    notes += [f"Paper protocol, {k}: {v.rstrip('.')}." for k, v in table.protocol.items()]
    notes.append("Our protocol: the last model, one evaluation for all methods, AUROC never flipped.")
    return notes


def _variant_runs(records: pd.DataFrame) -> dict[str, str]:
    """Entry key -> the variant that fills it, for the entries with overrides that one runs."""
    with_variant = records[records["overrides"].map(bool) & records["our_method"].notna()]
    return dict(zip(with_variant["entry"], with_variant["our_method"], strict=True))


def paper_grid(
    table: ClaimTable,
    records: pd.DataFrame,
    settings: pd.DataFrame,
    metrics: pd.DataFrame,
    config: ReportConfig,
) -> Grid:
    """The grid of one paper table (records from :func:`.matching.match_table`)."""
    raw = yaml.safe_load(table.path.read_text())
    run_as = _variant_runs(records)
    row_titles, corner = _axis_titles(table, "row", raw["rows"], run_as)
    col_titles, _ = _axis_titles(table, "col", raw["columns"], run_as)
    row_sums = [s for s in table.summaries if s.axis == "rows"]
    col_sums = [s for s in table.summaries if s.axis == "columns"]
    header = [corner] + col_titles + [s.label for s in col_sums]
    cells = {key: _cell(g, config) for key, g in records.groupby(["grid_row", "grid_col"])}
    rows = []
    for i, title in enumerate(row_titles + [s.label for s in row_sums]):
        line = [cells.get((i, j), Cell()) for j in range(len(header) - 1)]
        rows.append(Row(title, line, rule=i == table.n_rows))
    caption = f"{table.paper} Table {table.table} ({table.source}): {table.caption}"
    return Grid(
        table_key(table),
        caption,
        header,
        rows,
        _notes(table, records, settings, metrics, config),
        _decimals(records),
    )


def write_paper_tables(
    tables: list[ClaimTable],
    metrics: pd.DataFrame,
    settings: pd.DataFrame,
    datasets: dict[str, str] | None,
    config: ReportConfig,
    out: Path,
    variants: dict[str, VariantEntry] | None = None,
) -> tuple[list[Path], pd.DataFrame]:
    """Write every paper table into ``out`` (an existing folder); return the files and an overview.

    Args:
        tables: The transcribed tables (:func:`~synthad.report.claims.load_claims`).
        metrics: Long metrics table.
        settings: Run settings (:mod:`.settings`; may be empty).
        datasets: Our data set name -> registry source key (``None``: names are the keys).
        config: Colour thresholds.
        out: Folder to write into.
        variants: The ``params.yaml`` variants, which fill the entries with overrides (none if None).

    Returns:
        The paths written, and the overview: one row per table with the count of printed
        numbers per status and the mean delta of the reproduced percent values.
    """
    matcher, written, overview = Matcher(metrics, datasets, variants), [], []
    for table in tables:
        records = match_table(table, matcher)
        grid = paper_grid(table, records, settings, metrics, config)
        written += write_grid(grid, out)
        cells = out / f"{grid.key}_cells.csv"
        records.assign(
            overrides=records["overrides"].map(
                lambda o: yaml.safe_dump(o, default_flow_style=True).strip() if o else ""
            )
        ).to_csv(cells, index=False)
        written.append(cells)
        counts = records["status"].value_counts()
        done = records[(records["status"] == "reproduced") & (records["unit"] == "percent")]
        overview.append(
            {
                "key": grid.key,
                "paper": table.paper,
                "table": table.table,
                "caption": table.caption,
                "numbers": len(records),
                **{
                    s: int(counts.get(s, 0))
                    for s in ("reproduced", "not_run", "partial", "variant", "claim_only", "not_measured")
                },
                "mean_delta_pp": done["delta"].mean() if not done.empty else math.nan,
            }
        )
    overview = pd.DataFrame(overview)
    written += write_grid(overview_grid(overview), out)
    return written, overview


OVERVIEW_COLUMNS = {
    "numbers": "printed",
    "reproduced": "ours",
    "not_run": "not run",
    "partial": "partial",
    "variant": f"variant {VARIANT}",
    "claim_only": f"claim only {CLAIM_ONLY}",
    "mean_delta_pp": "mean Δ [pp]",
}


def overview_grid(overview: pd.DataFrame) -> Grid:
    """One row per paper table: how many printed numbers we reproduced, and their mean delta."""
    rows = []
    for r in overview.itertuples(index=False):
        r = r._asdict()
        cells = [
            Cell(ours=[float(r[c])], decimals=0 if c != "mean_delta_pp" else 1) for c in OVERVIEW_COLUMNS
        ]
        rows.append(
            Row(
                f"{r['paper']} Table {r['table']}",
                cells,
                rule=bool(rows) and rows[-1].label.split()[0] != r["paper"],
            )
        )
    notes = [
        "Counts of printed numbers per table by what we could put beside them; mean Δ = mean of ours − "
        "claimed over the reproduced percent values (negative: ours below the paper)."
    ]
    return Grid(
        "papers_overview",
        "The paper tables at a glance",
        ["paper table", *OVERVIEW_COLUMNS.values()],
        rows,
        notes,
        1,
    )
