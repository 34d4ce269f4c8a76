"""Image-level data sets: the OK/NG folder layout without pixel masks (``pixel_masks: false``).

The index of such a data set lists no mask; a data set that should have masks (a registered one,
or a ``folder`` without the switch) still stops with the missing mask named.
"""

from __future__ import annotations

import copy
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import yaml

from synthad.data.index import has_pixel_masks, read_index, validate_index
from synthad.data.layouts import build_index, rows_folder
from synthad.data.registry import get_dataset
from synthad.errors import ConfigError, DataError

REPO = Path(__file__).resolve().parents[2]


def _png(path: Path, value: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((8, 8), value, np.uint8))
    return path


def _ok_ng(root: Path, train: str = "OK", test_good: str = "ok") -> Path:
    """``root/plate``: train/<train>, test/<test_good>, test/NG and test/scratch, no ground_truth."""
    cat = root / "plate"
    for i in range(3):
        _png(cat / "train" / train / f"{i}.png")
    _png(cat / "test" / test_good / "0.png")
    _png(cat / "test" / "NG" / "0.png", 200)
    _png(cat / "test" / "scratch" / "0.png", 100)
    return cat


@pytest.mark.parametrize(("train", "test_good"), [("OK", "ok"), ("good", "Good"), ("Ok", "GOOD")])
def test_ok_ng_layout_rows_have_labels_and_no_masks(tmp_path, train, test_good):
    _ok_ng(tmp_path, train, test_good)
    rows = rows_folder(tmp_path, "plate", pixel_masks=False)
    labels = sorted((r["split"], r["label"], r["defect_type"]) for r in rows)
    assert labels == [("test", 0, "good"), ("test", 1, "NG"), ("test", 1, "scratch"),
                      ("train", 0, "good"), ("train", 0, "good"), ("train", 0, "good")]
    assert all(r["mask_path"] == "" for r in rows)


def test_image_level_index_is_written_and_read_back(tmp_path):
    _ok_ng(tmp_path / "data")
    out = tmp_path / "index" / "plate.csv"
    written = build_index(get_dataset("folder"), tmp_path / "data", "plate", out, pixel_masks=False)
    frame = read_index(out)  # read back without knowing the switch: image-level is recognised
    assert not has_pixel_masks(frame) and not has_pixel_masks(written)
    assert frame.groupby(["split", "label"]).size().to_dict() == {("test", 0): 1, ("test", 1): 2,
                                                                  ("train", 0): 3}
    assert (frame["mask_path"] == "").all()


def test_ok_ng_folder_without_the_switch_still_needs_masks(tmp_path):
    _ok_ng(tmp_path)
    with pytest.raises(DataError, match=r"test/NG/0.png: defective image has no mask .*NG/0_mask.png"):
        build_index(get_dataset("folder"), tmp_path, "plate", tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()


def test_folder_with_masks_reads_ok_folders_as_good(tmp_path):
    cat = _ok_ng(tmp_path)
    for kind in ("NG", "scratch"):
        _png(cat / "ground_truth" / kind / "0_mask.png", 255)
    frame = build_index(get_dataset("folder"), tmp_path, "plate", tmp_path / "x.csv")
    assert has_pixel_masks(frame)
    assert (frame[frame["label"] == 1]["mask_path"] != "").all()


def test_registered_data_set_refuses_pixel_masks_false(metal_plate, tmp_path):
    with pytest.raises(DataError, match="'mvtec_ad' has pixel masks; pixel_masks: false is only for source"):
        build_index(get_dataset("mvtec_ad"), metal_plate, "bottle", tmp_path / "x.csv", pixel_masks=False)


def test_image_level_index_ignores_existing_masks(metal_plate, tmp_path):
    frame = build_index(get_dataset("folder"), metal_plate, "mpdd_metal_plate", tmp_path / "m.csv",
                        pixel_masks=False)
    assert not has_pixel_masks(frame) and int(frame["label"].sum()) == 81


def _frame(masks: list[str]) -> pd.DataFrame:
    rows = [{"path": "a.png", "split": "train", "label": 0, "defect_type": "good", "mask_path": ""}]
    rows += [{"path": f"d{i}.png", "split": "test", "label": 1, "defect_type": "ng", "mask_path": m}
             for i, m in enumerate(masks)]
    return pd.DataFrame(rows)


def test_validate_index_mask_rules():
    validate_index(_frame(["", ""]), "t", check_files=False)  # image-level: accepted
    validate_index(_frame(["m0.png", "m1.png"]), "t", check_files=False, pixel_masks=True)
    with pytest.raises(DataError, match="t: defective image d1.png has no mask"):
        validate_index(_frame(["m0.png", ""]), "t", check_files=False)  # a mix is a broken index
    with pytest.raises(DataError, match="t: defective image d0.png has no mask"):
        validate_index(_frame(["", ""]), "t", check_files=False, pixel_masks=True)
    with pytest.raises(DataError, match=r"image d0.png has a mask but .*pixel_masks: false"):
        validate_index(_frame(["m0.png", ""]), "t", check_files=False, pixel_masks=False)


@pytest.fixture
def raw_params() -> dict:
    return yaml.safe_load((REPO / "params.yaml").read_text())


def test_params_accept_the_switch_on_folder_only(raw_params, tmp_path):
    from synthad.stages.validate import parse_params

    _ok_ng(tmp_path)
    params = copy.deepcopy(raw_params)
    params["data"]["datasets"] = {"plates": {"source": "folder", "path": str(tmp_path), "pixel_masks": False}}
    assert parse_params(params).data.datasets["plates"].pixel_masks is False
    params["data"]["datasets"] = {"demo": {"pixel_masks": False}}
    with pytest.raises(ConfigError, match=r"datasets\.demo\.pixel_masks: data set 'demo' has pixel masks"):
        parse_params(params)
    params["data"]["datasets"] = {
        "plates": {"source": "folder", "path": str(tmp_path), "pixel_masks": False},
        "plates_rto": {"source": "rto", "base": "plates"},
    }
    with pytest.raises(ConfigError, match="base 'plates' has no pixel masks"):
        parse_params(params)


def test_index_stage_no_pixel_masks_with_verify(tmp_path, capsys):
    from synthad.cli import main

    factory, raw = tmp_path / "factory", tmp_path / "data/raw/plates"
    _ok_ng(factory)
    assert main(["download", "--dataset", "folder", "--out", str(raw), "--path", str(factory)]) == 0
    out = tmp_path / "data/index/plates/plate.csv"
    argv = ["index", "--source", "folder", "--category", "plate", "--raw", str(raw / "source.json"),
            "--out", str(out), "--verify", "--no-progress"]
    assert main(argv) == 1  # without the switch the missing masks stop it, naming one
    assert "defective image has no mask" in capsys.readouterr().err and not out.exists()
    assert main([*argv, "--no-pixel-masks"]) == 0
    assert "test/defective: 2" in capsys.readouterr().out and not has_pixel_masks(read_index(out))
