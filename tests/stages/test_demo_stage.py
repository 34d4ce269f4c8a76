"""Tests of ``synthad demo``: JSON slice and params.yaml input, strict validation, output layout."""

import json

from synthad.cli import main

SMALL = {"image_size": 64, "n_train": 2, "n_test_good": 1, "n_test_defect": 4, "seed": 3}


def test_demo_from_json_slice(tmp_path):
    out = tmp_path / "raw" / "demo"
    assert main(["demo", "--out", str(out), "--params-json", json.dumps(SMALL), "--no-progress"]) == 0
    assert json.loads((out / "source.json").read_text())["dataset"] == "demo"
    for category in ["fabric", "marble", "washer", "circuit"]:
        assert len(list((out / category / "train" / "good").glob("*.png"))) == 2
        assert len(list((out / category / "ground_truth").glob("*/*_mask.png"))) == 4


def test_demo_from_params_yaml_and_category_subset(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("seeds: [0]\ndemo:\n" + "".join(f"  {k}: {v}\n" for k, v in SMALL.items()))
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--params", str(params), "--categories", "washer",
                 "--no-progress"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["source.json", "washer"]


def test_unknown_key_is_an_error_naming_it(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--params-json", '{"n_trian": 3}']) == 1
    assert "demo.n_trian" in capsys.readouterr().err
    assert not out.exists()
