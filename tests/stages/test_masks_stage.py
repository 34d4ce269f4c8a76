"""Tests of ``synthad masks`` on a small generated demo category: mask files and contact sheet."""

import json

import pytest

from synthad.cli import main
from synthad.config import DemoConfig
from synthad.data.demo import MASK_SETTINGS, generate_demo
from synthad.data.index import write_index
from synthad.masks import mask_file_for
from synthad.utils.images import read_image, read_mask


@pytest.fixture(scope="module")
def washer_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("m")
    raw = generate_demo(root / "raw" / "demo", DemoConfig(image_size=64, n_train=3, n_test_good=1,
                        n_test_defect=4), categories=["washer"], progress=False)
    rows = []
    for path in sorted((raw / "washer").glob("*/*/*.png")):
        split, defect = path.parts[-3], path.parts[-2]
        if split != "ground_truth":
            mask = raw / "washer" / "ground_truth" / defect / f"{path.stem}_mask.png"
            rows.append({"path": str(path), "split": split, "label": int(defect != "good"),
                         "defect_type": defect, "mask_path": str(mask) if defect != "good" else ""})
    csv = root / "index" / "demo" / "washer.csv"
    return csv, write_index(rows, csv, "demo")


def test_masks_stage_writes_every_mask_and_a_sheet(washer_index, tmp_path):
    csv, index = washer_index
    out, sheet = tmp_path / "masks" / "demo" / "washer", tmp_path / "fig" / "demo_washer.png"
    argv = ["masks", "--index", str(csv), "--setting-json", json.dumps(MASK_SETTINGS["washer"]),
            "--out", str(out), "--sheet", str(sheet), "--sheet-images", "4", "--no-progress"]
    assert main(argv) == 0
    for path in index["path"]:
        mask = read_mask(mask_file_for(out, path))
        assert mask.shape == read_image(path).shape[:2] and 0.2 < mask.mean() < 0.6
    assert sheet.stat().st_size > 1000


def test_bad_setting_is_an_error_and_writes_nothing(washer_index, tmp_path, capsys):
    csv, _ = washer_index
    out = tmp_path / "masks"
    assert main(["masks", "--index", str(csv), "--setting-json", '{"method": "kmeans"}',
                 "--out", str(out)]) == 1
    assert "--setting-json.method" in capsys.readouterr().err
    assert not out.exists()
