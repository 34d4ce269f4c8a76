"""``synthad sdas-train``, ``sdas-classifier``, ``sdas-sample``, ``sdas-sheet`` end to end.

On tiny real photographs: a data set of two categories (the metal plates and a copy under another name).

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
    "classifier_block_out_channels": [8, 16], "classifier_train_steps": 2, "classifier_batch_size": 2,
}


@pytest.fixture(scope="module")
def sdas_run(tiny_index, tmp_path_factory):
    root = tmp_path_factory.mktemp("sdas")
    indexes = [root / "index" / "metal" / f"{name}.csv" for name in ("plate", "twin")]
    indexes[0].parent.mkdir(parents=True)
    for index in indexes:
        tiny_index.to_csv(index, index=False)
    params = json.dumps(TINY_SDAS)
    flags = [arg for index in indexes for arg in ("--index", str(index))]
    for stage, out in (("sdas-train", "model"), ("sdas-classifier", "classifier")):
        assert main([stage, *flags, "--out", str(root / out), "--params-json", params, "--no-progress"]) == 0
    assert main(["sdas-sample", "--model", str(root / "model"), "--category", "twin", "--classifier",
                 str(root / "classifier"), "--out", str(root / "bank"), "--params-json", params,
                 "--no-progress"]) == 0
    return root, indexes[0], params


def test_model_folders_and_bank(sdas_run):
    root, _, _ = sdas_run
    assert (root / "model" / "unet" / "config.json").is_file()
    assert json.loads((root / "model" / "unet" / "config.json").read_text())["num_class_embeds"] == 2
    for folder in ("model", "classifier"):
        assert json.loads((root / folder / "classes.json").read_text()) == ["plate", "twin"]
        assert json.loads((root / folder / "train_info.json").read_text())["n_train_images"] == 12
    assert (root / "classifier" / "classifier.safetensors").is_file()
    assert not list(root.glob(".*.sdas-state*")), "the resumable states are removed when done"
    manifest = read_manifest(root / "bank")
    assert manifest.kind == "sdas" and manifest.generator == "sdas" and manifest.count == 5
    assert (manifest.params["category"], manifest.params["label"]) == ("twin", 1)
    assert manifest.params["classifier"] == str(root / "classifier")
    assert manifest.params["guidance_scale"] == 1
    strengths = list(manifest.params["strengths"].values())
    assert all(0.1 <= s <= 0.2 for s in strengths) and strengths[0] == strengths[1] != strengths[2]
    assert open_bank(root / "bank", 16, "sdas").load(0).shape == (16, 16, 3)


def test_strength_sheet(sdas_run, tmp_path):
    root, index, params = sdas_run
    out = tmp_path / "strength.png"
    assert main(["sdas-sheet", "--model", str(root / "model"), "--classifier", str(root / "classifier"),
                 "--index", str(index), "--out", str(out), "--params-json", params, "--columns", "2"]) == 0
    assert out.stat().st_size > 1000


def test_sampling_a_data_sets_model_needs_its_category_and_classifier(sdas_run, tmp_path, capsys):
    root, _, params = sdas_run
    sample = ["sdas-sample", "--model", str(root / "model"), "--out", str(tmp_path / "bank"),
              "--params-json", params]
    assert main(sample) == 1
    assert "--category: one of the model's categories ['plate', 'twin']" in capsys.readouterr().err
    assert main([*sample, "--category", "plate"]) == 1
    assert "guidance_scale is 1.0: pass --classifier" in capsys.readouterr().err
    unguided = json.dumps(TINY_SDAS | {"guidance_scale": 0})
    assert main([*sample[:-1], unguided, "--category", "plate", "--no-progress"]) == 0
    assert read_manifest(tmp_path / "bank").params["classifier"] is None


def test_one_category_trains_an_unconditional_model(tiny_index, tmp_path):
    index = tmp_path / "plate.csv"
    tiny_index.to_csv(index, index=False)
    params = json.dumps(TINY_SDAS)
    assert main(["sdas-train", "--index", str(index), "--out", str(tmp_path / "model"), "--params-json",
                 params, "--no-progress"]) == 0
    assert json.loads((tmp_path / "model" / "unet" / "config.json").read_text())["num_class_embeds"] is None
    assert main(["sdas-sample", "--model", str(tmp_path / "model"), "--out", str(tmp_path / "bank"),
                 "--params-json", params, "--no-progress"]) == 0  # no category, never guided
    assert read_manifest(tmp_path / "bank").params["label"] is None


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
