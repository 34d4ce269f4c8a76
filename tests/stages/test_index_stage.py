"""``synthad download`` and ``synthad index`` through the CLI, including their error messages."""

from __future__ import annotations

import json

import cv2
import numpy as np

from synthad.cli import main
from synthad.data.index import read_index


def test_download_path_then_index(metal_plate, tmp_path, capsys):
    raw = tmp_path / "data/raw/plate"
    assert main(["download", "--dataset", "folder", "--out", str(raw), "--path", str(metal_plate)]) == 0
    assert json.loads((raw / "source.json").read_text())["root"] == str(metal_plate)
    out = tmp_path / "data/index/plate/mpdd_metal_plate.csv"
    argv = ["index", "--source", "folder", "--category", "mpdd_metal_plate",
            "--raw", str(raw / "source.json"), "--out", str(out)]
    assert main(argv) == 0
    assert len(read_index(out)) == 161
    assert "161 images" in capsys.readouterr().out
    assert main([*argv, "--resize", "crop"]) == 0
    assert set(read_index(out)["resize"]) == {"crop"}
    assert main([*argv, "--resize", "stretch"]) == 1
    assert "--resize 'stretch': expected one of squash, pad, crop" in capsys.readouterr().err


def test_relative_root_as_written_by_demo(metal_plate, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data/raw/plate").mkdir(parents=True)
    (tmp_path / "data/raw/plate/mpdd_metal_plate").symlink_to(metal_plate)
    source = {"dataset": "folder", "root": "data/raw/plate"}
    (tmp_path / "data/raw/plate/source.json").write_text(json.dumps(source))
    argv = ["index", "--source", "folder", "--category", "mpdd_metal_plate",
            "--raw", "data/raw/plate/source.json", "--out", "data/index/plate/m.csv"]
    assert main(argv) == 0
    assert read_index("data/index/plate/m.csv")["path"].iloc[0].startswith("data/raw/plate/")


def test_errors_are_reported_not_raised(metal_plate, tmp_path, capsys):
    assert main(["download", "--dataset", "nope", "--out", str(tmp_path / "r")]) == 1
    assert "unknown data set 'nope'" in capsys.readouterr().err
    assert main(["download", "--dataset", "mpdd", "--out", str(tmp_path / "r")]) == 1
    assert "no automatic download" in capsys.readouterr().err
    raw = tmp_path / "raw"
    main(["download", "--dataset", "folder", "--out", str(raw), "--path", str(metal_plate)])
    base = ["--raw", str(raw / "source.json"), "--out", str(tmp_path / "i.csv")]
    assert main(["index", "--source", "folder", "--category", "bottle", *base]) == 1
    assert "unknown category 'bottle'" in capsys.readouterr().err
    assert main(["index", "--source", "mvtec_ad", "--category", "bottle", *base]) == 1
    assert "describes data set 'folder'" in capsys.readouterr().err
    missing = ["--raw", str(tmp_path / "none.json"), "--out", str(tmp_path / "i.csv")]
    assert main(["index", "--source", "folder", "--category", "x", *missing]) == 1
    assert "source file does not exist" in capsys.readouterr().err
    assert not (tmp_path / "i.csv").exists()


def _tree_with_truncated_png(root):
    """A tiny MVTec-layout category whose one defect-free test image is cut in half."""
    cat = root / "cat"
    for name in ("train/good/000.png", "train/good/001.png", "test/good/000.png", "test/scratch/000.png"):
        (cat / name).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(cat / name), np.random.default_rng(0).integers(0, 255, (16, 16, 3), np.uint8))
    (cat / "ground_truth/scratch").mkdir(parents=True)
    cv2.imwrite(str(cat / "ground_truth/scratch/000_mask.png"), np.full((16, 16), 255, np.uint8))
    bad = cat / "test/good/000.png"
    bad.write_bytes(bad.read_bytes()[: bad.stat().st_size // 2])
    source = root / "source.json"
    source.write_text(json.dumps({"dataset": "folder", "root": str(cat)}))
    return source, bad


def test_verify_names_the_corrupt_image_and_writes_no_index(tmp_path, capfd):
    source, bad = _tree_with_truncated_png(tmp_path)
    out = tmp_path / "index/cat.csv"
    argv = ["index", "--source", "folder", "--category", "cat", "--raw", str(source), "--out", str(out)]
    assert main([*argv, "--verify", "--no-progress"]) == 1
    err = capfd.readouterr().err  # fd level: OpenCV's own warnings would show here too
    assert err.splitlines() == [f"synthad index: error: {bad}: cannot decode image "
                                "(corrupt or not an image file)"]
    assert list(out.parent.iterdir()) == []  # neither the index nor a temporary file
    assert main(argv) == 0  # without --verify the index is written as before
    assert len(read_index(out)) == 4
