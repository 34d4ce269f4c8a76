"""``synthad train``'s held-out threshold and ``synthad predict`` end to end on tiny real photographs."""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pandas as pd
import pytest

from synthad.cli import main
from synthad.methods import list_methods, register
from synthad.methods.mean_image.method import MeanImage

SIDE = 32  # evaluation resolution of these runs: the held-out images and predictions are read at it


class _RecordingMean(MeanImage):
    """The mean-image baseline, remembering which images ``fit`` was given."""

    seen: list[str] = []

    def fit(self, train, context):
        type(self).seen = [train[i]["path"] for i in range(len(train))]
        super().fit(train, context)


@pytest.fixture(scope="module")
def trained(tiny_index, tmp_path_factory):
    """A run of the recording mean image at 32 px with the default hold-out (2 of 6 images)."""
    if "_test_recording_mean" not in list_methods():
        register("_test_recording_mean")(_RecordingMean)
    root = tmp_path_factory.mktemp("predict")
    index = root / "index" / "metal" / "plate.csv"
    index.parent.mkdir(parents=True)
    tiny_index.to_csv(index, index=False)
    out = root / "models" / "seed1"
    assert main(["train", "--index", str(index), "--method", "_test_recording_mean", "--seed", "1",
                 "--out", str(out), "--params-json", json.dumps({"image_size": SIDE}),
                 "--eval-json", json.dumps({"resolution": SIDE}), "--no-progress"]) == 0
    return out, tiny_index, list(_RecordingMean.seen)


def _predict(run, images, out, *extra):
    return main(["predict", "--run", str(run), "--images", str(images), "--out", str(out), "--device", "cpu",
                 "--no-progress", *extra])


def test_train_holds_images_out_of_fit_and_writes_the_threshold(trained):
    out, index, seen = trained
    record = json.loads((out / "threshold.json").read_text())
    train_paths = set(index.loc[index["split"] == "train", "path"])
    held = set(record["holdout_paths"])
    assert record["n_holdout"] == len(held) == 2 and record["resolution"] == SIDE
    assert held < train_paths and set(seen) == train_paths - held, "fit never sees a held-out image"
    # Fewer than 101 held-out images at rate 0.01: the threshold is the highest held-out score.
    assert record["threshold"] == record["holdout_scores"]["max"] and record["n_flagged"] == 0
    info = json.loads((out / "train_info.json").read_text())
    assert info["n_train_images"] == 4 and info["n_holdout_images"] == 2
    assert json.loads((out / "config.json").read_text())["holdout_fraction"] == 0.1


def test_predict_scores_as_training_did_and_decides_by_the_threshold(trained, tmp_path):
    run, index, _ = trained
    record = json.loads((run / "threshold.json").read_text())
    folder = tmp_path / "incoming"
    folder.mkdir()
    for path in [*record["holdout_paths"], *index.loc[index["label"] == 1, "path"]]:
        shutil.copy(path, folder / f"{len(list(folder.iterdir()))}_{path.split('/')[-1]}")
    assert _predict(run, folder, tmp_path / "out") == 0
    table = pd.read_csv(tmp_path / "out" / "predictions.csv")
    assert list(table.columns) == ["path", "score", "defective", "threshold", "overlay"]
    assert len(table) == 4 and (table["threshold"] == record["threshold"]).all()
    assert (table["defective"] == (table["score"] > record["threshold"]).astype(int)).all()
    held = table.iloc[:2]  # the held-out images, copied first: scored exactly as training scored them
    assert held["score"].max() == pytest.approx(record["threshold"]) and not held["defective"].any()
    for name in table["overlay"]:
        overlay = cv2.imread(str(tmp_path / "out" / name))
        assert overlay.shape == (SIDE, SIDE, 3), name  # at the scoring resolution, not the 512 px file


def test_threshold_override_and_a_glob(trained, tmp_path):
    run, index, _ = trained
    pattern = str(index["path"].iloc[0]).rsplit("/", 3)[0] + "/test/*/*.png"  # test/good and test/defect
    assert _predict(run, pattern, tmp_path / "out", "--threshold", "-1") == 0
    table = pd.read_csv(tmp_path / "out" / "predictions.csv")
    assert (table["defective"] == 1).all() and (table["threshold"] == -1).all()
    assert {"overlays/good/000.png", "overlays/defect/000.png"} <= set(table["overlay"])
    assert all((tmp_path / "out" / name).is_file() for name in table["overlay"])


def test_bad_inputs_are_one_line_errors_and_write_nothing(trained, tmp_path, capsys):
    run, index, _ = trained
    assert _predict(run, tmp_path / "nothing" / "*.png", tmp_path / "out") == 1
    assert "no images matched" in capsys.readouterr().err
    folder = tmp_path / "bad"
    folder.mkdir()
    shutil.copy(index["path"].iloc[0], folder / "a.png")
    (folder / "b.png").write_bytes(b"not a png")
    assert _predict(run, folder, tmp_path / "out") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(folder / "b.png") in err[0]
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*")), "nothing half-written"
    (run / "threshold.json").rename(tmp_path / "threshold.json")
    try:
        assert _predict(run, folder / "a.png", tmp_path / "out") == 1
        assert "pass --threshold" in capsys.readouterr().err
    finally:
        (tmp_path / "threshold.json").rename(run / "threshold.json")


def test_overlay_colours_follow_the_runs_map_range():
    import torch

    from synthad.stages.predict import overlay

    image = torch.zeros(3, 2, 2)
    amap = np.array([[0.0, 1.0], [2.0, 5.0]])
    drawn = overlay(image, amap, (0.0, 2.0))
    assert drawn.shape == (2, 2, 3) and drawn.dtype == np.uint8
    assert (drawn[1, 0] == drawn[1, 1]).all(), "at or above the range's top: the same red"
    assert drawn[0, 0, 2] > drawn[0, 0, 0] and drawn[1, 1, 0] > drawn[1, 1, 2], "low blue, high red"
