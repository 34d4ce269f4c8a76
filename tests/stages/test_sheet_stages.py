"""``synthad synthesis-sheet`` and ``synthad bank-sheet`` on tiny real photographs."""

from __future__ import annotations

import matplotlib.image as mpimg

from synthad.cli import main


def test_synthesis_sheets_one_per_method(tiny_index, banks, tmp_path):
    index = tmp_path / "index" / "metal" / "plate.csv"
    index.parent.mkdir(parents=True)
    tiny_index.to_csv(index, index=False)
    out = tmp_path / "sheets"
    flags = [f"--bank={kind}={folder}" for kind, folder in banks.items()]
    assert main(["synthesis-sheet", "--index", str(index), *flags, "--methods", "draem,dmp,realnet",
                 "--samples", "2", "--size", "32", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["dmp.png", "draem.png", "realnet.png"]
    assert mpimg.imread(out / "dmp.png").shape[1] > 300  # two samples x three panels


def test_unknown_synthesizer_fails_before_work(tiny_index, tmp_path, capsys):
    index = tmp_path / "plate.csv"
    tiny_index.to_csv(index, index=False)
    assert main(["synthesis-sheet", "--index", str(index), "--methods", "draem,lv", "--out",
                 str(tmp_path / "out")]) == 1
    assert "unknown synthesizer 'lv'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_bank_sheet(banks, tmp_path):
    assert main(["bank-sheet", "--bank", str(banks["natural"]), "--samples", "4", "--out",
                 str(tmp_path / "b.png")]) == 0
    assert (tmp_path / "b.png").stat().st_size > 1000
