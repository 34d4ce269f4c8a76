"""``synthad sdas-train``, ``sdas-sample``, ``sdas-sheet`` end to end on tiny real photographs.

Also: the SDAS bank feeds DRAEM's training through the common bank interface.
"""

from __future__ import annotations

import json

import pytest

from synthad.banks import open_bank, read_manifest
from synthad.cli import main

TINY_SDAS = {
    "image_size": 16, "block_out_channels": [8, 16], "attention_resolutions": [8], "attention_head_dim": 8,
    "norm_num_groups": 4, "layers_per_block": 1, "train_steps": 3, "batch_size": 2, "micro_batch_size": 2,
    "sampling_steps": 2, "n_samples": 5, "sample_batch_size": 4, "strength_batch": 2,
}


@pytest.fixture(scope="module")
def sdas_run(tiny_index, tmp_path_factory):
    root = tmp_path_factory.mktemp("sdas")
    index = root / "index" / "metal" / "plate.csv"
    index.parent.mkdir(parents=True)
    tiny_index.to_csv(index, index=False)
    params = json.dumps(TINY_SDAS)
    assert main(["sdas-train", "--index", str(index), "--out", str(root / "model"), "--params-json", params,
                 "--no-progress"]) == 0
    assert main(["sdas-sample", "--model", str(root / "model"), "--out", str(root / "bank"), "--params-json",
                 params, "--no-progress"]) == 0
    return root, index, params


def test_model_folder_and_bank(sdas_run):
    root, _, _ = sdas_run
    assert (root / "model" / "unet" / "config.json").is_file()
    assert json.loads((root / "model" / "train_info.json").read_text())["n_train_images"] == 6
    assert not list(root.glob(".model.sdas-state*")), "the resumable state is removed when done"
    manifest = read_manifest(root / "bank")
    assert manifest.kind == "sdas" and manifest.generator == "sdas" and manifest.count == 5
    strengths = list(manifest.params["strengths"].values())
    assert all(0.1 <= s <= 0.2 for s in strengths) and strengths[0] == strengths[1] != strengths[2]
    assert open_bank(root / "bank", 16, "sdas").load(0).shape == (16, 16, 3)


def test_strength_sheet(sdas_run, tmp_path):
    root, index, params = sdas_run
    out = tmp_path / "strength.png"
    assert main(["sdas-sheet", "--model", str(root / "model"), "--index", str(index), "--out", str(out),
                 "--params-json", params, "--columns", "2"]) == 0
    assert out.stat().st_size > 1000


def test_sdas_bank_trains_draem(sdas_run, tmp_path):
    root, index, _ = sdas_run
    params = {"epochs": 1, "batch_size": 2, "image_size": 32, "rec_base_width": 4, "disc_base_width": 4,
              "anomaly_source": "sdas"}
    out = tmp_path / "draem"
    assert main(["train", "--index", str(index), "--method", "draem", "--seed", "0", "--out", str(out),
                 "--params-json", json.dumps(params), "--bank", f"sdas={root / 'bank'}",
                 "--no-progress"]) == 0
    assert (out / "model.pt").is_file()


def test_missing_model_is_a_clear_error(tmp_path, capsys):
    assert main(["sdas-sample", "--model", str(tmp_path), "--out", str(tmp_path / "bank")]) == 1
    assert "no SDAS U-Net here" in capsys.readouterr().err
