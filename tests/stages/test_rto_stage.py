"""``synthad rto`` through the CLI: derive, index with ``synthad index``, and the error paths."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from synthad.cli import main
from synthad.data.index import read_index

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from test_rto import make_category  # noqa: E402  (the tiny category of the data tests)


def test_rto_then_index(tmp_path, capsys):
    base = make_category(tmp_path / "base")
    raw = tmp_path / "raw/base"
    assert main(["download", "--dataset", "folder", "--out", str(raw), "--path", str(base)]) == 0
    index = tmp_path / "index/base/part.csv"
    assert main(["index", "--source", "folder", "--category", "part",
                 "--raw", str(raw / "source.json"), "--out", str(index)]) == 0
    out = tmp_path / "raw/base_rto"
    argv = ["rto", "--base", "folder", "--index", str(index), "--out", str(out),
            "--params-json", '{"max_angle": 40, "max_shift": 0.15, "seed": 2}', "--no-progress"]
    assert main(argv) == 0
    assert "rto:folder (part)" in capsys.readouterr().out
    info = json.loads((out / "part/rto.json").read_text())
    assert info["config"] == {"max_angle": 40.0, "max_shift": 0.15, "fill": "reflect", "seed": 2}
    rto_index = tmp_path / "index/base_rto/part.csv"
    assert main(["index", "--source", "rto:folder", "--category", "part",
                 "--raw", str(out / "source.json"), "--out", str(rto_index)]) == 0
    frame = read_index(rto_index)
    assert len(frame) == len(read_index(index)) == 5
    assert all(str(p).startswith(str(out)) for p in frame["path"])


def test_errors_are_reported(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["rto", "--base", "demo", "--index", str(tmp_path / "fabric.csv"), "--out", str(out)]) == 1
    assert "'fabric' is a texture category" in capsys.readouterr().err
    assert main(["rto", "--base", "demo", "--index", str(tmp_path / "washer.csv"), "--out", str(out),
                 "--params-json", '{"max_shift": 0.7}']) == 1
    assert "max_shift" in capsys.readouterr().err
    assert main(["rto", "--base", "demo", "--index", str(tmp_path / "washer.csv"), "--out", str(out)]) == 1
    assert "index file does not exist" in capsys.readouterr().err
    assert not out.exists()
