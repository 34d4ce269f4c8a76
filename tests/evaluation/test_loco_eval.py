"""LOCO evaluation end to end on a tiny fake LOCO folder.

Saturations in the index, AU-sPRO (per anomaly kind, their mean as the headline, pooled) and image
AUROC per anomaly kind in ``metrics.json``.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import torch
from fake_methods import make_model_dir
from test_spro_bruteforce import brute_auspro

from synthad.config import EvaluateConfig
from synthad.data.index import read_index
from synthad.data.layouts import build_index
from synthad.data.loader import ImageDataset
from synthad.data.registry import get_dataset
from synthad.errors import DataError
from synthad.evaluation.evaluate import evaluate_run
from synthad.evaluation.loco import spro_metrics
from synthad.evaluation.spro import load_instances

CATEGORY = "breakfast_box"
DEFECTS = [  # pixel value 255: relative saturation; 200: absolute (pixels at 40x60)
    {"defect_name": "missing", "pixel_value": 255, "saturation_threshold": 1.0, "relative_saturation": True},
    {"defect_name": "scratch", "pixel_value": 200, "saturation_threshold": 30, "relative_saturation": False},
]


def _image(rng, boxes=()):
    image = np.full((40, 60, 3), 100, np.uint8) + rng.integers(0, 6, (40, 60, 3), dtype=np.uint8)
    for y, x, h, w in boxes:
        image[y:y + h, x:x + w] = 230
    return image


def make_loco(root, rng=None):
    """``root/breakfast_box`` with 2 good, 2 logical (one with two overlapping instances), 1 structural."""
    rng = rng or np.random.default_rng(0)
    cat = root / CATEGORY
    defects = {"logical_anomalies/000": [(255, (5, 5, 10, 12)), (200, (10, 10, 10, 12))],
               "logical_anomalies/001": [(255, (20, 30, 12, 20))],
               "structural_anomalies/000": [(200, (2, 40, 6, 15))]}
    for rel in ("train/good/000", "train/good/001", "test/good/000", "test/good/001"):
        (cat / rel).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(cat / f"{rel}.png"), _image(rng))
    for rel, instances in defects.items():
        (cat / "test" / rel).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(cat / f"test/{rel}.png"), _image(rng, [box for _, box in instances]))
        for k, (value, (y, x, h, w)) in enumerate(instances):
            mask = np.zeros((40, 60), np.uint8)
            mask[y:y + h, x:x + w] = value
            (cat / "ground_truth" / rel).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(cat / "ground_truth" / rel / f"{k:03d}.png"), mask)
    (cat / "defects_config.json").write_text(json.dumps(DEFECTS))
    return cat


def test_index_carries_saturations(tmp_path):
    make_loco(tmp_path / "raw")
    frame = build_index(get_dataset("mvtec_loco"), tmp_path / "raw", CATEGORY, tmp_path / "i.csv")
    frame = read_index(tmp_path / "i.csv")
    sats = dict(zip(frame["path"].map(lambda p: p.split("test/")[-1]), frame["saturation"], strict=True))
    assert sats["logical_anomalies/000.png"] == "rel:1.0;abs:30"
    assert sats["structural_anomalies/000.png"] == "abs:30" and sats["good/000.png"] == ""


def test_unknown_pixel_value_is_named(tmp_path):
    cat = make_loco(tmp_path / "raw")
    (cat / "defects_config.json").write_text(json.dumps(DEFECTS[:1]))
    expected = r"logical_anomalies/000/001.png: expected one defect pixel value.*found \[200\]"
    with pytest.raises(DataError, match=expected):
        build_index(get_dataset("mvtec_loco"), tmp_path / "raw", CATEGORY, tmp_path / "i.csv")


def test_evaluate_reports_auspro_per_kind(tmp_path):
    make_loco(tmp_path / "raw")
    index = tmp_path / "index/mvtec_loco" / f"{CATEGORY}.csv"
    build_index(get_dataset("mvtec_loco"), tmp_path / "raw", CATEGORY, index)
    model = make_model_dir(tmp_path / "model", dataset="mvtec_loco", category=CATEGORY, image_size=24)
    config = EvaluateConfig(resolution=24, batch_size=4)
    metrics = evaluate_run(index, model, config, tmp_path / "run", torch.device("cpu"), progress=False)
    assert metrics["spro_fpr_limit"] == 0.05 and metrics["spro_instances_lost"] == 0
    # the bright boxes are found: everything near 1 (the fake map is blurred by its resizing)
    for key in ("pixel_auspro", "pixel_auspro_pooled", "pixel_auspro_logical", "pixel_auspro_structural"):
        assert 0.5 < metrics[key] <= 1.0, key
    assert metrics["image_auroc_logical"] == 1.0 and metrics["image_auroc_structural"] == 1.0
    # the stored maps give the same number as the brute force over every threshold
    maps = np.load(tmp_path / "run/maps.npz")["maps"].astype(np.float64)
    rows = read_index(index)
    rows = rows[rows["split"] == "test"].reset_index(drop=True)
    instances = load_instances(rows, 24)
    assert len(instances.images) == 4
    # absolute 30 px at 40x60 -> 30 * 576 / 2400 = 7.2 px at 24x24; relative 1.0 -> the area
    structural = instances.images == rows.index[rows["defect_type"] == "structural_anomalies"][0]
    assert instances.saturation[structural][0] == pytest.approx(7.2)
    assert maps.shape == (len(rows), 24, 24)  # float16 on disk: compare loosely
    assert metrics["pixel_auspro_pooled"] == pytest.approx(brute_auspro(maps, instances), abs=0.02)
    logical = ((rows["label"] == 0) | (rows["anomaly_kind"] == "logical")).to_numpy()
    assert metrics["pixel_auspro_logical"] == pytest.approx(
        brute_auspro(maps[logical], instances.subset(logical)), abs=0.02)


def test_headline_auspro_is_the_mean_of_the_kinds_not_the_pooled_curve(tmp_path):
    """The official LOCO headline: 0.5 * (structural + logical), each kind with the good images."""
    make_loco(tmp_path / "raw")
    build_index(get_dataset("mvtec_loco"), tmp_path / "raw", CATEGORY, tmp_path / "i.csv")
    rows = read_index(tmp_path / "i.csv")
    rows = rows[rows["split"] == "test"].reset_index(drop=True)
    labels, kinds = rows["label"].to_numpy(), rows["anomaly_kind"].astype(str).to_numpy()
    instances = load_instances(rows, 24)
    maps = np.random.default_rng(0).random((len(rows), 24, 24))
    for mask, image in zip(instances.masks, instances.images, strict=True):
        if kinds[image] == "logical":  # the 3 logical instances are found, the structural one is not
            maps[image][mask] += 1.0
    metrics = spro_metrics(rows, labels, maps, 0.05)
    per_kind = {}
    for kind in ("logical", "structural"):
        keep = (labels == 0) | (kinds == kind)
        per_kind[kind] = brute_auspro(maps[keep], instances.subset(keep))
        assert metrics[f"pixel_auspro_{kind}"] == pytest.approx(per_kind[kind], abs=1e-9)
    assert per_kind["logical"] == pytest.approx(1.0) and per_kind["structural"] < 0.2
    headline = (per_kind["logical"] + per_kind["structural"]) / 2
    assert metrics["pixel_auspro"] == pytest.approx(headline, abs=1e-9)
    assert metrics["pixel_auspro_pooled"] == pytest.approx(brute_auspro(maps, instances), abs=1e-9)
    assert metrics["pixel_auspro_pooled"] - metrics["pixel_auspro"] > 0.15  # 3 of 4 instances vs 1 of 2 kinds


def test_no_saturation_no_spro(tmp_path):
    from fake_methods import make_dataset

    index = make_dataset(tmp_path / "data")
    metrics = evaluate_run(index, make_model_dir(tmp_path / "m"), EvaluateConfig(resolution=24),
                           tmp_path / "run", torch.device("cpu"), progress=False)
    assert "pixel_auspro" not in metrics and "image_auroc_logical" not in metrics


def test_instances_follow_the_index_geometry(tmp_path):
    """With ``resize: pad`` instance masks are letterboxed like the images and saturations rescaled."""
    make_loco(tmp_path / "raw")
    build_index(get_dataset("mvtec_loco"), tmp_path / "raw", CATEGORY, tmp_path / "i.csv", "pad")
    rows = read_index(tmp_path / "i.csv")
    rows = rows[rows["split"] == "test"].reset_index(drop=True)
    instances = load_instances(rows, 24)
    # absolute 30 px at 40x60, padded to 60x60 -> 30 * 576 / 3600 = 4.8 px at 24x24
    structural = instances.images == rows.index[rows["defect_type"] == "structural_anomalies"][0]
    assert instances.saturation[structural][0] == pytest.approx(4.8)
    items = ImageDataset(rows, 24)
    for mask, image in zip(instances.masks, instances.images, strict=True):
        assert not (mask & ~(items[int(image)]["mask"][0].numpy() > 0)).any()  # inside the union
    assert not instances.masks[:, :4].any()  # the bar (10 of 60 rows -> 4 of 24) holds no defect
