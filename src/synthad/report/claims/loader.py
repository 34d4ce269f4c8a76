"""Read and validate one claims YAML file into a :class:`~.schema.ClaimTable`.

Every problem is a :class:`~synthad.errors.DataError` whose message starts with the file path and
names the key, row or column at fault: an unknown or missing key, a row with the wrong number of
cells, a tuple cell of the wrong length, an unknown entry, metric or category, a coordinate given by
both a column and a row, two cells with the same address.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import yaml

from synthad.data.registry import list_datasets
from synthad.errors import DataError
from synthad.report.claims.schema import (
    METHODS,
    METRIC_LEVELS,
    PAPERS,
    STATISTICS,
    SUMMARY_CATEGORIES,
    TENTATIVE_METHODS,
    UNITS,
    ClaimTable,
    Entry,
    GridCell,
    Metric,
    PrintedSummary,
)

TABLE_KEYS = {"paper", "table", "caption", "source", "dataset", "resolution", "protocol", "metrics",
              "entries", "columns", "rows"}
OPTIONAL_KEYS = {"unit", "notes", "metric", "tuple", "category", "printed_means", "relative_to",
                 "dataset_note", "categories_from"}
COORDS = ("dataset", "category", "entry", "metric")
COLUMN_KEYS = {"label", "dataset", "category", "entry", "metric", "tuple"}
ROW_KEYS = COLUMN_KEYS | {"values", "remap", "note"}
ENTRY_KEYS = {"label", "method", "overrides", "tentative", "implemented", "source", "note"}
METRIC_KEYS = {"printed_as", "unit", "note"}
SUMMARY_KEYS = {"label", "category", "axis", "over", "statistic", "tolerance", "values", "check",
                "mismatches", "dataset"}


def _fail(path: Path, message: str):
    raise DataError(f"{path}: {message}")


def _keys(path: Path, where: str, data, allowed: set, required: set = frozenset()) -> dict:
    if not isinstance(data, dict):
        _fail(path, f"{where}: expected a mapping, got {type(data).__name__}")
    unknown = sorted(set(data) - allowed - required)
    if unknown:
        _fail(path, f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed | required)}")
    missing = sorted(required - set(data))
    if missing:
        _fail(path, f"{where}: missing key(s) {missing}")
    return data


def _number(path: Path, where: str, value) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        _fail(path, f"{where}: expected a number or null, got {value!r}")
    return float(value)


def _metrics(path: Path, data: dict) -> dict[str, Metric]:
    out = {}
    for key, spec in _keys(path, "metrics", data["metrics"], set(METRIC_LEVELS)).items():
        spec = _keys(path, f"metrics.{key}", spec, METRIC_KEYS, {"printed_as"})
        unit = spec.get("unit", data.get("unit"))
        if unit not in UNITS:
            _fail(path, f"metrics.{key}: unit {unit!r} is not one of {list(UNITS)} "
                        "(set it, or the table's unit)")
        out[key] = Metric(key, METRIC_LEVELS[key], unit, str(spec["printed_as"]), str(spec.get("note", "")))
    return out


def _entries(path: Path, data: dict) -> dict[str, Entry]:
    out = {}
    for key, spec in _keys(path, "entries", data["entries"], set(data["entries"] or {})).items():
        spec = _keys(path, f"entries.{key}", spec, ENTRY_KEYS, {"label"})
        method, overrides = spec.get("method"), spec.get("overrides") or {}
        if method is not None and method not in METHODS:
            _fail(path, f"entries.{key}: unknown method {method!r}; known: {list(METHODS)}")
        if not isinstance(overrides, dict) or (overrides and method is None):
            _fail(path, f"entries.{key}: overrides must be a mapping, and need a method")
        tentative = bool(spec.get("tentative", False))
        if method in TENTATIVE_METHODS and overrides and not tentative:
            _fail(path, f"entries.{key}: overrides of {method} must be marked tentative")
        out[key] = Entry(str(key), str(spec["label"]), method, dict(overrides), tentative,
                         bool(spec.get("implemented", True)), str(spec.get("source", "")),
                         str(spec.get("note", "")))
    return out


def _coords(path: Path, where: str, spec: dict) -> dict:
    """A column's or row's coordinates; ``tuple`` is stored as the ``metric`` coordinate."""
    out = {k: spec[k] for k in ("dataset", "category", "entry") if k in spec}
    if "metric" in spec and "tuple" in spec:
        _fail(path, f"{where}: give either metric or tuple, not both")
    if "metric" in spec:
        out["metric"] = (spec["metric"],)
    elif "tuple" in spec:
        if not isinstance(spec["tuple"], list) or not spec["tuple"]:
            _fail(path, f"{where}: tuple must be a non-empty list of metric keys")
        out["metric"] = tuple(spec["tuple"])
    if "category" in out:
        out["category"] = str(out["category"])
    return out


def _merge(path: Path, where: str, table: dict, col: dict, row: dict) -> dict:
    both = sorted(set(col) & set(row))
    if both:
        _fail(path, f"{where}: {both} given by both the column and the row")
    merged = {**table, **col, **row}
    missing = [k for k in COORDS if k not in merged]
    if missing:
        _fail(path, f"{where}: no {missing} from the table, the column or the row")
    return merged


def _values(path: Path, where: str, raw, metrics: tuple[str, ...]) -> tuple[float | None, ...]:
    if len(metrics) == 1:
        if isinstance(raw, list):
            _fail(path, f"{where}: expected one number for {metrics[0]}, got a list {raw!r}")
        return (_number(path, where, raw),)
    if raw is None:
        return (None,) * len(metrics)
    if not isinstance(raw, list) or len(raw) != len(metrics):
        _fail(path, f"{where}: expected a cell of {len(metrics)} values {list(metrics)}, got {raw!r}")
    return tuple(_number(path, where, v) for v in raw)


class _Resolver:
    """Turns the printed grid of one file into :class:`GridCell` objects and checks them."""

    def __init__(self, path: Path, data: dict, metrics: dict, entries: dict):
        self.path, self.metrics, self.entries = path, metrics, entries
        self.table = _coords(path, "table", data)
        self.table.setdefault("dataset", data["dataset"])
        self.registered = set(list_datasets())
        self.categories_from = data.get("categories_from")
        if self.categories_from is not None and self.categories_from not in self.registered:
            _fail(path, f"categories_from: {self.categories_from!r} is not a registered data set")

    def cell(self, where: str, col: dict, row: dict, raw, row_index: int, col_index: int,
             remap: dict, note: str = "") -> GridCell:
        c = _merge(self.path, where, self.table, col, row)
        metrics = tuple(remap.get(m, m) for m in c["metric"])
        for m in metrics:
            if m not in self.metrics:
                _fail(self.path, f"{where}: metric {m!r} is not declared in metrics {sorted(self.metrics)}")
        if c["entry"] not in self.entries:
            _fail(self.path, f"{where}: unknown entry {c['entry']!r}; entries: {sorted(self.entries)}")
        self.check_category(where, str(c["dataset"]), c["category"])
        return GridCell(row_index, col_index, str(c["dataset"]), c["category"], c["entry"], metrics,
                        _values(self.path, where, raw, metrics), note)

    def check_category(self, where: str, dataset: str, category: str) -> None:
        if category in SUMMARY_CATEGORIES:
            return
        if dataset in self.registered:
            from synthad.data.registry import get_dataset

            known = get_dataset(dataset).categories
        elif self.categories_from is not None:
            from synthad.data.registry import get_dataset

            known = get_dataset(self.categories_from).categories
        else:
            return
        if category not in known:
            _fail(self.path, f"{where}: category {category!r} unknown for data set {dataset!r}; "
                             f"known: {list(known)} (or one of {list(SUMMARY_CATEGORIES)})")


def _grid(path: Path, data: dict, res: _Resolver) -> tuple[list, list, list[GridCell]]:
    if not isinstance(data["columns"], list) or not isinstance(data["rows"], list) or not data["rows"]:
        _fail(path, "columns and rows must be non-empty lists")
    cols = [_coords(path, f"columns[{j}]", _keys(path, f"columns[{j}]", c, COLUMN_KEYS))
            for j, c in enumerate(data["columns"])]
    rows, cells = [], []
    for i, spec in enumerate(data["rows"]):
        where = f"rows[{i}] ({spec.get('label') or spec.get('category') or spec.get('entry')})" \
            if isinstance(spec, dict) else f"rows[{i}]"
        spec = _keys(path, where, spec, ROW_KEYS, {"values"})
        if not isinstance(spec["values"], list) or len(spec["values"]) != len(cols):
            n = len(spec["values"]) if isinstance(spec["values"], list) else "no list"
            _fail(path, f"{where}: {n} values for {len(cols)} columns")
        remap = spec.get("remap") or {}
        if remap and not spec.get("note"):
            _fail(path, f"{where}: a remap needs a note saying why")
        row = _coords(path, where, spec)
        rows.append(row)
        for j, raw in enumerate(spec["values"]):
            cells.append(res.cell(f"{where}, column {j}", cols[j], row, raw, i, j, remap,
                                  str(spec.get("note", ""))))
    return cols, rows, cells


def _summary(path: Path, k: int, spec, cols: list, rows: list, cells: list, res: _Resolver) -> PrintedSummary:
    where = f"printed_means[{k}]"
    spec = _keys(path, where, spec, SUMMARY_KEYS, {"label", "category", "values", "tolerance"})
    axis, stat = spec.get("axis", "rows"), spec.get("statistic", "mean")
    bad_category = spec["category"] not in SUMMARY_CATEGORIES
    if axis not in ("rows", "columns") or stat not in STATISTICS or bad_category:
        _fail(path, f"{where}: need axis in rows/columns, statistic in {list(STATISTICS)} and "
                    f"category in {list(SUMMARY_CATEGORIES)}")
    along = cols if axis == "rows" else rows
    if not isinstance(spec["values"], list) or len(spec["values"]) != len(along):
        n = len(spec["values"]) if isinstance(spec["values"], list) else "no list of"
        _fail(path, f"{where}: {n} values for {len(along)} {'columns' if axis == 'rows' else 'rows'}")
    pseudo = {"category": str(spec["category"])}
    if spec.get("dataset") is not None:
        pseudo["dataset"] = spec["dataset"]
    out = []
    for n, raw in enumerate(spec["values"]):
        col, row = (along[n], pseudo) if axis == "rows" else (pseudo, along[n])
        out.append(res.cell(f"{where}, value {n}", col, row, raw, -1, n, {}))
    grid_cats = [c.category for c in cells]
    over = tuple(str(c) for c in spec.get("over") or dict.fromkeys(grid_cats))
    mismatches = spec.get("mismatches") or {}
    for key in mismatches:
        if str(key).split("/")[0] not in res.entries:
            _fail(path, f"{where}: mismatches names unknown entry {key!r}")
    return PrintedSummary(str(spec["label"]), str(spec["category"]), axis, over, stat,
                          float(spec["tolerance"]), tuple(spec["values"]), tuple(out),
                          bool(spec.get("check", True)), dict(mismatches), spec.get("dataset"))


def _unique(path: Path, cells: list[GridCell]) -> None:
    seen = {}
    for c in cells:
        for m in c.metrics:
            key = (c.dataset, c.category, c.entry, m)
            if key in seen:
                _fail(path, f"two cells share the address {key} (row {seen[key]} and row {c.row})")
            seen[key] = c.row


def load_table(path: str | Path) -> ClaimTable:
    """Read and validate one claims file.

    Args:
        path: A ``<paper>_table<id>.yaml`` file.

    Returns:
        The table.

    Raises:
        DataError: The file is unreadable or invalid; the message names the file and the problem.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"{path}: cannot read claims file: {exc}") from exc
    data = _keys(path, "file", data, OPTIONAL_KEYS, TABLE_KEYS)
    if data["paper"] not in PAPERS:
        _fail(path, f"paper {data['paper']!r} unknown; known: {list(PAPERS)}")
    if data["dataset"] not in list_datasets() and not data.get("dataset_note"):
        _fail(path, f"data set {data['dataset']!r} is not registered: explain it in dataset_note")
    protocol = _keys(path, "protocol", data["protocol"], set(data["protocol"] or {}))
    metrics, entries = _metrics(path, data), _entries(path, data)
    res = _Resolver(path, data, metrics, entries)
    cols, rows, cells = _grid(path, data, res)
    printed = data.get("printed_means") or []
    summaries = [_summary(path, k, s, cols, rows, cells, res) for k, s in enumerate(printed)]
    _unique(path, cells + [c for s in summaries for c in s.cells])
    unused = sorted(set(entries) - {c.entry for c in cells})
    if unused:
        _fail(path, f"entries {unused} are declared but no cell uses them")
    unregistered = sorted({c.dataset for c in cells} - res.registered)
    if unregistered and not data.get("dataset_note"):
        _fail(path, f"data set(s) {unregistered} are not registered: explain them in dataset_note")
    relative_to = data.get("relative_to")
    if relative_to is not None and relative_to not in entries:
        _fail(path, f"relative_to names unknown entry {relative_to!r}")
    return ClaimTable(path, str(data["paper"]), str(data["table"]), str(data["caption"]), str(data["source"]),
                      str(data["dataset"]), str(data["resolution"]), {k: str(v) for k, v in protocol.items()},
                      tuple(str(n) for n in data.get("notes") or []), metrics, entries, tuple(cells),
                      tuple(summaries), len(rows), len(cols), relative_to)


def overrides_json(entry) -> str:
    """An entry's overrides as canonical JSON (sorted keys), the frame's ``overrides`` column."""
    return json.dumps(entry.overrides, sort_keys=True)
