"""Collecting metrics.json files into the long table."""

from __future__ import annotations

import json
import math

import pytest

from synthad.errors import DataError
from synthad.report.aggregate import collect, find_metrics_files, read_metrics_csv, write_metrics_csv


def _run(root, seed, auroc, method="m", **extra):
    path = root / "toy" / "cat" / method / f"seed{seed}" / "metrics.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"dataset": "toy", "category": "cat", "method": method, "seed": seed,
                                "image_auroc": auroc, "pixel_aupro": None, "device": "cpu", **extra}))
    return path


def test_long_format_roundtrip(tmp_path):
    _run(tmp_path, 1, 0.5)
    _run(tmp_path, 0, 0.75, n_test_images=7)
    frame = collect(find_metrics_files(tmp_path))
    assert list(frame.columns) == ["dataset", "category", "method", "seed", "metric", "value"]
    assert "device" not in set(frame["metric"])  # text fields are not measurements
    assert frame.iloc[0].to_dict() | {"value": 0} == {"dataset": "toy", "category": "cat", "method": "m",
                                                       "seed": 0, "metric": "image_auroc", "value": 0}
    aupro = frame[frame["metric"] == "pixel_aupro"]["value"]
    assert len(aupro) == 2 and aupro.isna().all()  # null -> NaN, row kept
    write_metrics_csv(frame, tmp_path / "metrics.csv")
    back = read_metrics_csv(tmp_path / "metrics.csv")
    assert len(back) == len(frame) and math.isclose(back["value"].iloc[0], 0.75)


def test_errors_name_the_file(tmp_path):
    good = _run(tmp_path, 0, 0.5)
    dup = tmp_path / "copy" / "metrics.json"
    dup.parent.mkdir()
    dup.write_text(good.read_text())
    with pytest.raises(DataError, match="same run"):
        collect([good, dup])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"dataset": "toy", "image_auroc": 1.0}))
    with pytest.raises(DataError, match="bad.json.*category"):
        collect([bad])
    with pytest.raises(DataError, match="does not exist"):
        find_metrics_files(tmp_path / "nope")


def test_a_variant_keeps_its_folder_name_beside_its_base(tmp_path):
    _run(tmp_path, 0, 0.5, method="dmp")
    variant = _run(tmp_path, 0, 0.75, method="dmp_no_large_kernel")
    # metrics.json records the registry key the model was built with: the base method's
    variant.write_text(variant.read_text().replace('"method": "dmp_no_large_kernel"', '"method": "dmp"'))
    frame = collect(find_metrics_files(tmp_path))
    aurocs = frame[frame["metric"] == "image_auroc"].set_index("method")["value"]
    assert aurocs.to_dict() == {"dmp": 0.5, "dmp_no_large_kernel": 0.75}


def test_timing_json_beside_metrics_json_gives_the_same_table_as_one_file(tmp_path):
    cost = {"device": "cpu", "train_seconds": 12.5, "inference_images_per_s": 40.0,
            "eval_peak_memory_mb": 9.0}
    together = collect([_run(tmp_path / "one", 0, 0.5, **cost)])
    apart = _run(tmp_path / "two", 0, 0.5)
    (apart.parent / "timing.json").write_text(json.dumps(cost))
    frame = collect([apart])
    assert frame.equals(together)
    assert frame.set_index("metric").loc["train_seconds", "value"] == 12.5
