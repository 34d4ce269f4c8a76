"""Tests of the embedded demo data set.

Layout, counts, sizes, exact masks, determinism, and that the naive mean-image detector is far from
perfect on it (the data set is not trivially easy).
"""

import json
import time

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import roc_auc_score

import synthad.methods.mean_image  # noqa: F401  (registers the method)
from synthad.config import DemoConfig, MaskSetting
from synthad.data.demo import ANOMALY_KIND, CATEGORIES, DEFECTS, MASK_SETTINGS, generate_demo
from synthad.data.loader import ImageDataset
from synthad.errors import UnknownNameError
from synthad.methods import FitContext, get_method
from synthad.utils.images import read_image, read_mask

SMALL = DemoConfig(image_size=64, n_train=3, n_test_good=2, n_test_defect=8, seed=7)


def _rows(root, category):
    """Index rows of a generated category, read from the MVTec layout."""
    rows = []
    for path in sorted((root / category).glob("*/*/*.png")):
        split, defect = path.parts[-3], path.parts[-2]
        if split == "ground_truth":
            continue
        mask = root / category / "ground_truth" / defect / f"{path.stem}_mask.png"
        rows.append({"path": str(path), "split": split, "label": int(defect != "good"),
                     "defect_type": defect, "mask_path": str(mask) if defect != "good" else ""})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return generate_demo(tmp_path_factory.mktemp("demo") / "demo", SMALL, progress=False)


def test_constants_are_consistent():
    assert CATEGORIES == ("fabric", "marble", "washer", "circuit")
    for category in CATEGORIES:
        MaskSetting(**MASK_SETTINGS[category])
        assert len(DEFECTS[category]) >= 3
    assert MASK_SETTINGS["fabric"]["method"] == MASK_SETTINGS["marble"]["method"] == "whole"
    assert {"missing", "misplaced"} <= {k for k, v in ANOMALY_KIND["circuit"].items() if v == "logical"}


def test_layout_counts_sizes_and_masks(small):
    marker = json.loads((small / "source.json").read_text())
    assert marker == {"dataset": "demo", "root": str(small), "downloaded": False}
    for category in CATEGORIES:
        rows = _rows(small, category)
        assert (rows["split"] == "train").sum() == SMALL.n_train
        assert ((rows["split"] == "test") & (rows["label"] == 0)).sum() == SMALL.n_test_good
        defective = rows[rows["label"] == 1]
        assert len(defective) == SMALL.n_test_defect
        assert set(defective["defect_type"]) == set(DEFECTS[category])  # spread over every type
        for path in rows["path"]:
            assert read_image(path).shape == (64, 64, 3)
        for path in defective["mask_path"]:
            mask = read_mask(path)
            assert mask.shape == (64, 64) and 0 < mask.sum() < mask.size / 4


def test_same_seed_gives_identical_bytes(small, tmp_path):
    again = generate_demo(tmp_path / "again", SMALL, categories=["marble", "circuit"], progress=False)
    for rel in ["marble/train/good/000.png", "circuit/test/missing/000.png",
                "circuit/ground_truth/misplaced/001_mask.png", "marble/test/good/001.png"]:
        assert (again / rel).read_bytes() == (small / rel).read_bytes(), rel
    other = generate_demo(tmp_path / "other", DemoConfig(**{**SMALL.__dict__, "seed": 8}),
                          categories=["marble"], progress=False)
    assert ((other / "marble/train/good/000.png").read_bytes()
            != (small / "marble/train/good/000.png").read_bytes())


def test_good_images_differ_from_each_other(small):
    for category in CATEGORIES:
        a = read_image(small / category / "train/good/000.png").astype(int)
        b = read_image(small / category / "train/good/001.png").astype(int)
        assert np.abs(a - b).mean() > 2  # pose, phase, light and noise vary per image


def test_unknown_category_is_named(tmp_path):
    with pytest.raises(UnknownNameError, match="carpet"):
        generate_demo(tmp_path / "x", SMALL, categories=["carpet"], progress=False)
    assert not (tmp_path / "x").exists()


def _naive_auroc(root, category):
    rows = _rows(root, category)
    method = get_method("mean_image")()
    method.fit(ImageDataset(rows[rows["split"] == "train"], 256), FitContext(progress=False))
    test = ImageDataset(rows[rows["split"] == "test"], 256)
    loader = torch.utils.data.DataLoader(test, batch_size=16)
    scores, labels = [], []
    for batch in loader:
        scores += method.predict(batch["image"]).scores.tolist()
        labels += batch["label"].tolist()
    return roc_auc_score(labels, scores)


@pytest.mark.slow
def test_full_default_set_is_fast_and_not_trivial_for_the_naive_detector(tmp_path):
    start = time.perf_counter()
    root = generate_demo(tmp_path / "demo", DemoConfig(), progress=False)
    seconds = time.perf_counter() - start
    assert seconds < 60, f"generating the default demo took {seconds:.1f} s"
    aurocs = {c: _naive_auroc(root, c) for c in CATEGORIES}
    print(f"demo generation {seconds:.1f} s; mean_image image AUROC {aurocs}")
    assert sum(v < 0.97 for v in aurocs.values()) >= 3, aurocs
