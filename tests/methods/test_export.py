"""ONNX export: every registered method's graph matches its ``predict`` under onnxruntime.

Each method trains for a moment on tiny real photographs (as the contract test does), is exported
with a small ``eval_batch_size`` (so ``predict`` chunks, which the graph must not freeze), and
onnxruntime's ``score`` and ``map`` must match ``predict`` within 1e-4 on the test photographs, in a
batch of another size than the traced one.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from tiny_methods import SIZE, TINY

from synthad.data.loader import ImageDataset
from synthad.errors import ExportError
from synthad.methods import FitContext, get_method, list_methods, method_config
from synthad.methods.export import EXAMPLE_BATCH, TOLERANCE, export_onnx, run_onnx
from synthad.methods.imm_alm.geometry import invert

METHODS = [key for key in list_methods() if not key.startswith("_")]
SLOW = {"dmp", "imm_alm", "ndpnet", "realnet"}  # over ~20 s to export on 2 cores (the exporter, not the fit)


def _fit(key, tiny_index, banks, tmp_path):
    fields = {f.name for f in dataclasses.fields(get_method(key).Config)}
    # eval_batch_size 2: predict scores the 4 test images in two chunks, the graph takes any batch
    section = TINY[key] | ({"eval_batch_size": 2} if "eval_batch_size" in fields else {})
    method = get_method(key)(method_config(key, section), "cpu")
    train = ImageDataset(tiny_index[tiny_index["split"] == "train"], SIZE)
    torch.manual_seed(0)
    method.fit(train, FitContext(seed=0, checkpoint_path=tmp_path / "state.pt", banks=banks, progress=False))
    return method


def _test_images(tiny_index):
    test = ImageDataset(tiny_index[tiny_index["split"] == "test"], SIZE)
    return torch.stack([test[i]["image"] for i in range(len(test))])


def _exercise_every_branch(key, method, monkeypatch):
    """Make the tiny model take the paths a tiny fit leaves idle."""
    if key == "imm_alm":
        # A one-epoch IMM regresses almost no warp; a real rotation and shift exercise warp and invert.
        method.model.matcher.regress[-1].bias.data = torch.tensor([0.1, -0.05, 0.3])
    if key == "patchcore":
        # Blocks of 4 queries in the nearest-neighbour search: the graph must not freeze their count.
        monkeypatch.setattr("synthad.methods.patchcore.scoring.BLOCK_ELEMENTS", 4 * len(method.bank))


@pytest.mark.parametrize("key", [pytest.param(k, marks=pytest.mark.slow) if k in SLOW else k
                                 for k in METHODS])
def test_onnx_graph_matches_predict_on_test_images(key, tiny_index, banks, tmp_path, monkeypatch):
    method = _fit(key, tiny_index, banks, tmp_path)
    _exercise_every_branch(key, method, monkeypatch)
    check = export_onnx(method, tmp_path / "model.onnx")
    assert check["external_data"] is None and sorted(p.name for p in tmp_path.glob("model.onnx*")) == [
        "model.onnx"]
    images = _test_images(tiny_index)
    assert len(images) != EXAMPLE_BATCH
    scores, maps = run_onnx(tmp_path / "model.onnx", images.numpy())
    expected = method.predict(images)
    assert scores.shape == (len(images),) and maps.shape == (len(images), SIZE, SIZE)
    np.testing.assert_allclose(scores, expected.scores.numpy(), rtol=TOLERANCE, atol=TOLERANCE)
    np.testing.assert_allclose(maps, expected.maps.numpy(), rtol=TOLERANCE, atol=TOLERANCE)
    assert expected.maps.std() > 0, "a constant map would hide a wrong graph"


def test_a_graph_that_disagrees_with_predict_is_not_written(tmp_path, monkeypatch):
    method = get_method("mean_image")(method_config("mean_image", {"image_size": 8}), "cpu")
    method.load_state_dict({"mean": torch.full((3, 8, 8), 0.5)})
    real_predict = method.predict
    # Off by 1e-3 only when not exporting: the check runs predict outside the trace.
    monkeypatch.setattr(method, "predict", lambda x: dataclasses.replace(
        real_predict(x), scores=real_predict(x).scores + (0 if torch.onnx.is_in_onnx_export() else 1e-3)))
    with pytest.raises(ExportError, match="ONNX score differs from predict by up to 0.001"):
        export_onnx(method, tmp_path / "model.onnx")
    assert list(tmp_path.iterdir()) == []


def test_weights_past_the_size_limit_go_to_a_data_file_beside_the_graph(tmp_path, monkeypatch):
    # RealNet at the paper's size has 2.2 GB of weights; torch moves them out past 1.5 GB
    monkeypatch.setattr("torch.onnx._internal.exporter._onnx_program._LARGE_MODEL_THRESHOLD", 0)
    method = get_method("mean_image")(method_config("mean_image", {"image_size": 8}), "cpu")
    method.load_state_dict({"mean": torch.rand(3, 8, 8, generator=torch.Generator().manual_seed(0))})
    check = export_onnx(method, tmp_path / "deploy" / "model.onnx")
    assert check["external_data"] == "model.onnx.data"
    assert sorted(p.name for p in (tmp_path / "deploy").iterdir()) == ["model.onnx", "model.onnx.data"]
    images = torch.rand(2, 3, 8, 8)
    scores, _ = run_onnx(tmp_path / "deploy" / "model.onnx", images.numpy())
    np.testing.assert_allclose(scores, method.predict(images).scores.numpy(), rtol=TOLERANCE, atol=TOLERANCE)


def test_closed_form_affine_inverse_equals_linalg_inv():
    # IMM's invert avoids torch.linalg.inv (no ONNX op); general, not only rigid, matrices
    matrix = torch.randn(16, 2, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    linear = torch.linalg.inv(matrix[:, :, :2])
    expected = torch.cat([linear, -linear @ matrix[:, :, 2:]], dim=2)
    torch.testing.assert_close(invert(matrix), expected)
