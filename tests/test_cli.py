"""Every stage is a plain CLI: help works for each, errors are one clear line."""

import subprocess
import sys

import pytest

from synthad.cli import STAGES, main


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_stage_help(stage, capsys):
    with pytest.raises(SystemExit) as exc:
        main([stage, "--help"])
    assert exc.value.code == 0
    assert f"synthad {stage}" in capsys.readouterr().out


def test_unknown_stage_is_an_error(capsys):
    with pytest.raises(SystemExit):
        main(["trian"])
    assert "invalid choice: 'trian'" in capsys.readouterr().err


def test_console_script_lists_stages():
    out = subprocess.run([sys.executable, "-m", "synthad.cli", "--help"], capture_output=True, text=True,
                         check=True).stdout
    for stage in STAGES:
        assert stage in out


def test_unknown_method_is_one_clear_line(tiny_index, tmp_path, capsys):
    index = tmp_path / "idx.csv"
    tiny_index.to_csv(index, index=False)
    code = main(["train", "--index", str(index), "--method", "dream", "--seed", "0", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1 and "unknown method 'dream'" in err and "draem" in err
