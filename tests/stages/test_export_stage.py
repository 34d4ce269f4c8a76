"""``synthad export``: a trained run -> one ONNX file and its sidecar; a bad run folder -> one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from synthad.cli import main
from synthad.data.loader import ImageDataset
from synthad.evaluation.evaluate import load_model
from synthad.methods.export import OPSET, run_onnx

SIDE = 32


@pytest.fixture(scope="module")
def run_dir(tiny_index, tmp_path_factory):
    """A mean-image run at 32 px trained by ``synthad train`` (with its held-out threshold)."""
    root = tmp_path_factory.mktemp("export")
    index = root / "index" / "metal" / "plate.csv"
    index.parent.mkdir(parents=True)
    tiny_index.to_csv(index, index=False)
    out = root / "models" / "seed0"
    assert main(["train", "--index", str(index), "--method", "mean_image", "--seed", "0", "--out", str(out),
                 "--params-json", json.dumps({"image_size": SIDE}),
                 "--eval-json", json.dumps({"resolution": SIDE}), "--no-progress"]) == 0
    return out


def test_export_writes_the_graph_and_a_sidecar_deployment_can_follow(run_dir, tiny_index, capsys):
    assert main(["export", "--run", str(run_dir), "--format", "onnx"]) == 0
    assert "model.onnx.json" in capsys.readouterr().out
    side = json.loads((run_dir / "model.onnx.json").read_text())
    threshold = json.loads((run_dir / "threshold.json").read_text())
    assert side["file"] == "model.onnx" and side["external_data"] is None and side["opset"] == OPSET
    assert side["input"]["name"] == "image" and side["input"]["shape"] == ["batch", 3, SIDE, SIDE]
    assert side["input"]["range"] == [0.0, 1.0] and side["input"]["dtype"] == "float32"
    assert side["output_names"] == ["score", "map"]
    assert side["outputs"]["map"]["shape"] == ["batch", SIDE, SIDE]
    assert side["threshold"] == threshold["threshold"] and side["evaluation_resolution"] == SIDE
    assert side["method"] == "mean_image" and side["seed"] == 0
    assert max(side["check"]["max_score_diff"], side["check"]["max_map_diff"]) <= side["check"]["tolerance"]
    # The test photographs, as evaluation reads them, through onnxruntime and through predict
    test = ImageDataset(tiny_index[tiny_index["split"] == "test"], SIDE)
    images = torch.stack([test[i]["image"] for i in range(len(test))])
    scores, maps = run_onnx(run_dir / "model.onnx", images.numpy())
    expected = load_model(run_dir, torch.device("cpu"))[0].predict(images)
    np.testing.assert_allclose(scores, expected.scores.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(maps, expected.maps.numpy(), rtol=1e-4, atol=1e-4)


def test_out_names_the_file_and_its_sidecar(run_dir, tmp_path):
    out = tmp_path / "deploy" / "plate.onnx"
    assert main(["export", "--run", str(run_dir), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.parent.iterdir()) == ["plate.onnx", "plate.onnx.json"]
    assert json.loads((out.parent / "plate.onnx.json").read_text())["file"] == "plate.onnx"


def test_a_folder_that_is_no_run_is_one_error_line(tmp_path, capsys):
    assert main(["export", "--run", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{tmp_path / 'config.json'}: missing" in err
    assert list(tmp_path.iterdir()) == []
