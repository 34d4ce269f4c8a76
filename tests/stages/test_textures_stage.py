"""``synthad textures``: the built-in set, and DTD linked in from a folder or its source.json."""

from __future__ import annotations

import json
import shutil

from synthad.cli import main
from synthad.synthesis.textures import list_texture_files


def test_dtd_from_download_marker(metal_plate, tmp_path):
    dtd = tmp_path / "dtd" / "images" / "banded"
    dtd.mkdir(parents=True)
    shutil.copy(metal_plate / "train/good/000.png", dtd / "banded_0001.png")
    marker = tmp_path / "raw" / "source.json"
    marker.parent.mkdir()
    marker.write_text(json.dumps({"dataset": "dtd", "root": str(tmp_path / "dtd"), "downloaded": False}))
    out = tmp_path / "banks" / "dtd"
    assert main(["textures", "--dtd", str(marker), "--out", str(out)]) == 0
    assert json.loads((out / "manifest.json").read_text())["count"] == 1
    assert [p.name for p in list_texture_files(out)] == ["banded_0001.png"]


def test_empty_texture_folder_is_named(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["textures", "--dtd", str(tmp_path / "empty"), "--out", str(tmp_path / "out")]) == 1
    assert "empty: no texture images" in capsys.readouterr().err
