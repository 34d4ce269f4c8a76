"""The settings each run was trained with (``results/run_settings.csv``), for the scale notes.

A paper table must say at which scale we measured ("ours at 64 px, 40 epochs" vs "paper at
256 px"). ``metrics.json`` records the evaluation side only, so the settings are read from the
model folder of each run: ``results/models/<dataset>/<category>/<method>/seed<k>/config.json``
(the method's resolved ``Config``) and ``train_info.json`` (device, threads, seconds).

Columns: ``dataset, category, method, seed, device, threads, image_size, budget, config``:
``budget`` is every ``*epochs`` / ``*steps`` / ``*iterations`` field of the Config joined
("epochs 40"; "phase1_epochs 20, phase2_epochs 30"), ``config`` the whole Config as JSON. A run
whose model folder is absent (a model trained elsewhere) keeps empty fields instead of failing:
the tables then say "settings not recorded".
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from synthad.errors import DataError
from synthad.utils.io import atomic_path, read_json_object

KEYS = ["dataset", "category", "method", "seed"]
COLUMNS = KEYS + ["device", "threads", "image_size", "budget", "config"]
_BUDGET = re.compile(r"(epochs|steps|iterations)$")


def budget_text(config: dict) -> str:
    """The training-length fields of a Config, e.g. ``"epochs 40"`` (``""`` when it has none)."""
    return ", ".join(
        f"{k} {v}"
        for k, v in config.items()
        if _BUDGET.search(k) and isinstance(v, int | float) and not isinstance(v, bool)
    )


def read_run_settings(model_dir: str | Path, ident: dict) -> dict:
    """One row of the settings table for the run ``ident`` (``dataset, category, method, seed``).

    Args:
        model_dir: The run's model folder (may be absent: empty fields).
        ident: The run's identifying keys.

    Returns:
        A dict with :data:`COLUMNS`.

    Raises:
        DataError: ``config.json`` or ``train_info.json`` exists but is unreadable.
    """
    model_dir = Path(model_dir)
    row = {k: ident[k] for k in KEYS} | {
        "device": "",
        "threads": None,
        "image_size": None,
        "budget": "",
        "config": "",
    }
    if (model_dir / "config.json").is_file():
        config = read_json_object(model_dir / "config.json").get("config") or {}
        row |= {
            "image_size": config.get("image_size"),
            "budget": budget_text(config),
            "config": json.dumps(config, sort_keys=True),
        }
    if (model_dir / "train_info.json").is_file():
        info = read_json_object(model_dir / "train_info.json")
        row |= {"device": str(info.get("device") or ""), "threads": info.get("threads")}
    return row


def collect_settings(metrics: pd.DataFrame, models_dir: str | Path) -> pd.DataFrame:
    """Settings of every run of the long metrics table.

    Args:
        metrics: Long metrics table (``dataset, category, method, seed, ...``).
        models_dir: ``results/models``.

    Returns:
        DataFrame with :data:`COLUMNS`, one row per run, sorted.
    """
    runs = metrics[KEYS].drop_duplicates().sort_values(KEYS)
    rows = [
        read_run_settings(Path(models_dir) / r.dataset / r.category / r.method / f"seed{r.seed}", r._asdict())
        for r in runs.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def write_settings_csv(frame: pd.DataFrame, out: str | Path) -> None:
    """Write the settings table atomically."""
    with atomic_path(out) as tmp:
        frame.to_csv(tmp, index=False)


def read_settings_csv(path: str | Path | None) -> pd.DataFrame:
    """Read ``results/run_settings.csv``; an empty table when ``path`` is ``None``.

    Raises:
        DataError: The file is missing or lacks a column.
    """
    if path is None:
        return pd.DataFrame(columns=COLUMNS)
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: run settings do not exist (run `synthad aggregate --settings-out` first)")
    frame = pd.read_csv(
        path,
        dtype={"dataset": str, "category": str, "method": str, "device": str, "budget": str, "config": str},
        keep_default_na=False,
        na_values={"threads": [""], "image_size": [""]},
    )
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: lacks column(s) {', '.join(missing)}")
    return frame


def scale_text(settings: pd.DataFrame, dataset: str, method: str) -> str:
    """How ``method`` was run on ``dataset``: ``"64 px, epochs 30, 2 seeds, cpu"``.

    Distinct values over categories and seeds are joined with ``/``; ``"settings not recorded"``
    when nothing is known.
    """
    sub = settings[(settings["dataset"] == dataset) & (settings["method"] == method)]
    if sub.empty or not (sub["config"].astype(str) != "").any():
        return "settings not recorded"

    def distinct(column: str, fmt: str = "{}") -> str:
        values = [v for v in dict.fromkeys(sub[column].tolist()) if str(v) not in ("", "nan")]
        return "/".join(fmt.format(int(v) if isinstance(v, float) else v) for v in values)

    parts = [
        distinct("image_size", "{} px"),
        distinct("budget"),
        f"{sub['seed'].nunique()} seed{'s' if sub['seed'].nunique() > 1 else ''}",
        distinct("device"),
    ]
    return ", ".join(p for p in parts if p)
