"""The run grid of a configuration: which (data set, category) pairs the pipeline trains on.

One implementation for everyone who expands ``data.datasets``: the Snakemake DAG
(``workflow/rules/common.smk``) and the validation of ``params.yaml`` (:func:`check_grid`, run by
:func:`synthad.stages.validate.parse_params`, hence by ``synthad params`` and at Snakemake's start), so a
category the DAG would not find is reported before any job runs, naming the key.
"""

from __future__ import annotations

from pathlib import Path

from synthad.config import DatasetEntry, Params, join_key
from synthad.data.layouts import check_pixel_masks
from synthad.data.registry import RTO_PREFIX, get_dataset, resolve_categories
from synthad.data.rto import base_source
from synthad.errors import ConfigError, DataError, UnknownNameError


def dataset_entry(params: Params, name: str) -> DatasetEntry:
    """The ``data.datasets`` entry; data sets only used as sources (``dtd``) get an empty one."""
    return params.data.datasets.get(name) or DatasetEntry()


def dataset_source(params: Params, name: str) -> str:
    """Registry key of a data set; a derived one (``source: rto``) is ``rto:<its base's key>``."""
    entry = dataset_entry(params, name)
    if entry.source == "rto":
        return RTO_PREFIX + base_source(entry, params.data.datasets)
    return entry.source or name


def dataset_root(params: Params, name: str) -> Path | None:
    """Where the raw data lives when the user gave a ``path`` (``None``: downloaded or generated)."""
    path = dataset_entry(params, name).path
    return Path(path) if path else None


def dataset_categories(params: Params, name: str) -> list[str]:
    """The categories of a data set, ``all`` expanded (registry order, or discovered on disk).

    Raises:
        UnknownNameError: The source or a requested category is not registered.
        DataError: The categories must be discovered but the folder is missing or empty.
    """
    entry = dataset_entry(params, name)
    # A derived data set's folder does not exist before the DAG runs: discover from its base.
    root = dataset_root(params, entry.base) if entry.source == "rto" else dataset_root(params, name)
    return resolve_categories(get_dataset(dataset_source(params, name)), entry.categories, root)


def evaluated_datasets(params: Params) -> list[str]:
    """Data sets to train and evaluate on (anomaly sources such as DTD are only read from)."""
    return [d for d in params.data.datasets if not get_dataset(dataset_source(params, d)).is_anomaly_source]


def run_grid(params: Params) -> list[tuple[str, str]]:
    """The ``(dataset, category)`` pairs of this configuration, in ``data.datasets`` order."""
    return [(d, c) for d in evaluated_datasets(params) for c in dataset_categories(params, d)]


def check_grid(params: Params, where: str = "params.yaml:") -> None:
    """Expand every data set as the DAG does and report the first one that fails.

    Raises:
        ConfigError: Unknown source or category, categories to discover from a missing folder, or
            ``pixel_masks: false`` on a data set that has masks; the message names
            ``data.datasets.<name>`` (``.source`` / ``.categories`` / ``.pixel_masks``).
    """
    for name in params.data.datasets:
        at = join_key(where, f"data.datasets.{name}")
        entry = dataset_entry(params, name)
        try:
            spec = get_dataset(dataset_source(params, name))
        except (UnknownNameError, DataError) as exc:
            raise ConfigError(f"{at}{'.source' if entry.source else ''}: {exc}") from exc
        try:
            check_pixel_masks(spec, entry.pixel_masks)
        except DataError as exc:
            raise ConfigError(f"{at}.pixel_masks: {exc}") from exc
        if spec.is_anomaly_source:
            continue
        try:
            dataset_categories(params, name)
        except UnknownNameError as exc:
            raise ConfigError(f"{at}.categories: {exc}") from exc
        except DataError as exc:
            raise ConfigError(f"{at}: {exc}") from exc
