"""Evaluating on an image-level index (no pixel masks): image metrics only, pixel keys omitted."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch
from fake_methods import make_dataset, make_model_dir

from synthad.config import EvaluateConfig
from synthad.evaluation.evaluate import evaluate_run

PIXEL_KEYS = {"pixel_auroc", "pixel_ap", "pixel_f1_max", "pixel_aupro"}


def test_image_level_index_gives_image_metrics_and_no_pixel_keys(tmp_path):
    index = make_dataset(tmp_path / "data")
    frame = pd.read_csv(index, keep_default_na=False)
    frame["mask_path"] = ""  # an OK/NG data set: labels, no defect masks
    frame.to_csv(index, index=False)
    model = make_model_dir(tmp_path / "models" / "seed0")
    out = tmp_path / "runs" / "seed0"
    metrics = evaluate_run(index, model, EvaluateConfig(resolution=24, batch_size=3), out,
                           torch.device("cpu"), progress=False)
    on_disk = json.loads((out / "metrics.json").read_text())
    assert not PIXEL_KEYS & set(on_disk) and not PIXEL_KEYS & set(metrics)
    assert on_disk["image_auroc"] == 1.0  # the bright defects are easy for the naive map
    assert on_disk["image_ap"] == pytest.approx(1.0) and on_disk["image_f1_max"] == pytest.approx(1.0)
    assert on_disk["n_test_defective"] == 4
