"""Evaluating a (fake) trained model: outputs, metrics and errors for bad model folders."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import torch
from fake_methods import make_dataset, make_model_dir

from synthad.config import EvaluateConfig
from synthad.errors import DataError
from synthad.evaluation.evaluate import evaluate_run

CPU = torch.device("cpu")


@pytest.fixture
def toy(tmp_path):
    index = make_dataset(tmp_path / "data")
    model = make_model_dir(tmp_path / "models" / "seed0")
    return tmp_path, index, model


def test_evaluate_writes_outputs(toy):
    root, index, model = toy
    out = root / "runs" / "seed0"
    metrics = evaluate_run(index, model, EvaluateConfig(resolution=24, batch_size=3), out, CPU,
                           progress=False)
    on_disk = json.loads((out / "metrics.json").read_text())
    timing = json.loads((out / "timing.json").read_text())
    assert on_disk | timing == pytest.approx(metrics)
    assert on_disk["n_test_images"] == 7 and on_disk["resolution"] == 24
    assert on_disk["dataset"] == "toy" and on_disk["category"] == "widget" and on_disk["seed"] == 0
    assert set(timing) == {"device", "train_seconds", "train_peak_memory_mb", "inference_images_per_s",
                           "eval_peak_memory_mb"} and not set(timing) & set(on_disk)
    assert timing["train_seconds"] == 1.5 and timing["train_peak_memory_mb"] == 10.0
    assert timing["inference_images_per_s"] > 0 and timing["eval_peak_memory_mb"] > 0
    # The bright defects are easy: the naive map finds them.
    assert on_disk["image_auroc"] == 1.0 and on_disk["pixel_auroc"] > 0.95 and on_disk["pixel_aupro"] > 0.9
    scores = pd.read_csv(out / "scores.csv")
    assert list(scores.columns) == ["path", "label", "defect_type", "score"] and len(scores) == 7
    with np.load(out / "maps.npz") as npz:
        assert npz["maps"].shape == (7, 24, 24) and npz["maps"].dtype == np.float16
        assert list(npz["paths"]) == list(scores["path"])


def test_metrics_json_is_byte_identical_for_the_same_model(toy):
    root, index, model = toy
    runs = [root / "runs" / name for name in ("a", "b")]
    for out in runs:
        evaluate_run(index, model, EvaluateConfig(resolution=24, batch_size=3), out, CPU, progress=False)
    for name in ("metrics.json", "scores.csv", "maps.npz"):
        assert (runs[0] / name).read_bytes() == (runs[1] / name).read_bytes(), name


def test_missing_files_are_named(toy):
    root, index, model = toy
    (model / "model.pt").unlink()
    with pytest.raises(DataError, match="model.pt"):
        evaluate_run(index, model, EvaluateConfig(), root / "out", CPU, progress=False)
    shutil.rmtree(model)
    with pytest.raises(DataError, match="config.json"):
        evaluate_run(index, model, EvaluateConfig(), root / "out", CPU, progress=False)
    assert not (root / "out" / "metrics.json").exists()


def test_wrong_category_is_refused(toy):
    root, index, _ = toy
    model = make_model_dir(root / "other", category="gadget")
    with pytest.raises(DataError, match="gadget"):
        evaluate_run(index, model, EvaluateConfig(), root / "out", CPU, progress=False)


def test_maps_of_the_wrong_size_break_the_contract(toy, monkeypatch):
    from fake_methods import FakeMean

    from synthad.methods import Prediction

    root, index, model = toy
    monkeypatch.setattr(FakeMean, "predict", lambda self, images: Prediction(
        scores=torch.zeros(len(images)), maps=torch.zeros(len(images), 8, 8)))
    with pytest.raises(DataError, match=r"maps \(\d+, 8, 8\) do not match the input images"):
        evaluate_run(index, model, EvaluateConfig(resolution=32), root / "runs" / "bad", CPU, progress=False)


def test_weights_of_another_configuration_are_a_one_line_data_error(tmp_path):
    from synthad.evaluation.evaluate import load_model
    from synthad.methods import get_method, method_config
    from synthad.utils.io import save_torch

    small = {"image_size": 32, "rec_base_width": 4, "disc_base_width": 2}
    method = get_method("draem")(method_config("draem", small), CPU)
    save_torch(method.state_dict(), tmp_path / "model.pt")
    wider = small | {"rec_base_width": 8}  # config.json says another width than the weights have
    (tmp_path / "config.json").write_text(json.dumps({"method": "draem", "config": wider}))
    with pytest.raises(DataError, match=r"model\.pt: .*retrain the run"):
        load_model(tmp_path, CPU)
