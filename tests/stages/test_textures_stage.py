"""``synthad textures`` and ``synthad natural``: built-in banks, and user folders linked in."""

from __future__ import annotations

import json
import shutil

from synthad.banks import open_bank, read_manifest
from synthad.cli import main


def test_builtin_texture_bank(tmp_path):
    out = tmp_path / "builtin"
    assert main(["textures", "--out", str(out), "--size", "32", "--variants", "1"]) == 0
    manifest = read_manifest(out)
    assert manifest.kind == "textures" and manifest.generator == "builtin" and manifest.count == 28
    rng = __import__("numpy").random.default_rng(0)
    assert open_bank(out, 16, "textures").sample(rng).shape == (16, 16, 3)
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no temporary folder left


def test_dtd_from_download_marker(metal_plate, tmp_path):
    dtd = tmp_path / "dtd" / "images" / "banded"
    dtd.mkdir(parents=True)
    shutil.copy(metal_plate / "train/good/000.png", dtd / "banded_0001.png")
    marker = tmp_path / "raw" / "source.json"
    marker.parent.mkdir()
    marker.write_text(json.dumps({"dataset": "dtd", "root": str(tmp_path / "dtd"), "downloaded": False}))
    out = tmp_path / "banks" / "dtd"
    assert main(["textures", "--dtd", str(marker), "--out", str(out)]) == 0
    manifest = read_manifest(out)
    assert manifest.generator == "dtd" and list(manifest.files) == ["images/images/banded/banded_0001.png"]
    assert len(open_bank(out, 32, "textures")) == 1


def test_empty_texture_folder_is_named(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["textures", "--dtd", str(tmp_path / "empty"), "--out", str(tmp_path / "out")]) == 1
    assert "empty: no images" in capsys.readouterr().err


def test_natural_bank_builtin_and_folder(metal_plate, tmp_path):
    assert main(["natural", "--out", str(tmp_path / "nat"), "--size", "32", "--count", "5"]) == 0
    assert read_manifest(tmp_path / "nat").count == 5
    assert main(["natural", "--out", str(tmp_path / "voc"), "--folder", str(metal_plate / "train/good")]) == 0
    manifest = read_manifest(tmp_path / "voc")
    assert (manifest.kind == "natural"
            and manifest.count == len(list((metal_plate / "train/good").glob("*.png"))))
