"""Every stage is a plain CLI: help works for each, errors are one clear line."""

import argparse
import errno
import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import cv2
import pytest

from synthad.cli import STAGES, build_stage_parser, main


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_stage_help(stage, capsys):
    with pytest.raises(SystemExit) as exc:
        main([stage, "--help"])
    assert exc.value.code == 0
    assert f"synthad {stage}" in capsys.readouterr().out


def test_the_readme_lists_every_stage_once():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Every stage is a command", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `([a-z-]+)` \| ", section, flags=re.MULTILINE)
    assert sorted(listed) == sorted(STAGES)


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


def test_version_names_the_installed_distribution(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"synthad {version('synthad')}"


def test_top_level_help_imports_no_torch():
    code = ("import sys\nfrom synthad.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n"
            "    pass\nprint('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("False")


def test_train_help_lists_every_method_and_the_defaults(capsys):
    from synthad.methods import list_methods

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())  # undo argparse's line wrapping
    assert all(key in out for key in list_methods())
    assert "--params-json PARAMS_JSON the method's method_params section (JSON) (default: {})" in out


@pytest.mark.parametrize("stage", ["index", "download", "rto"])
def test_dataset_options_list_every_registered_data_set(stage, capsys):
    from synthad.data.registry import list_datasets

    with pytest.raises(SystemExit):
        main([stage, "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert all(key in out for key in list_datasets())


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_stage_help_shows_every_default(stage, capsys):
    parser, _ = build_stage_parser(stage)
    with pytest.raises(SystemExit):
        main([stage, "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for action in parser._actions:
        shown = action.default not in (None, False, [], argparse.SUPPRESS)
        if action.option_strings and not action.required and shown:
            assert f"(default: {action.default})" in out, action.option_strings


def test_ctrl_c_is_one_line_and_exit_code_130(monkeypatch, tmp_path, capsys):
    import synthad.stages.textures as textures

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(textures, "run", interrupted)
    assert main(["textures", "--out", str(tmp_path / "bank")]) == 130
    assert capsys.readouterr().err == "synthad textures: interrupted\n"


def test_os_error_is_one_line_naming_the_file(monkeypatch, tmp_path, capsys):
    import synthad.stages.aggregate as aggregate

    def disk_full(args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(args.out))

    monkeypatch.setattr(aggregate, "run", disk_full)
    out = tmp_path / "metrics.csv"
    assert main(["aggregate", "--out", str(out)]) == 1
    assert capsys.readouterr().err == f"synthad aggregate: error: {out}: No space left on device\n"


def test_disk_full_while_writing_a_bank_names_the_file(monkeypatch, metal_plate, tmp_path, capsys):
    def write_fails(self, *args, **kwargs):  # what write() raises on a full disk: no file name
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_text", write_fails)
    out = tmp_path / "banks" / "dtd"
    assert main(["textures", "--dtd", str(metal_plate / "train"), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"synthad textures: error: {out.parent}/") and err.count("\n") == 1
    assert err.endswith("manifest.json: No space left on device\n")


def test_failed_image_write_is_one_line_naming_the_file(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cv2, "imwrite", lambda *args: False)  # what OpenCV does on a full disk
    out = tmp_path / "bank"
    assert main(["textures", "--out", str(out), "--size", "16", "--variants", "1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"synthad textures: error: {tmp_path}/") and err.count("\n") == 1
    assert ".png: cannot write image" in err
    assert not out.exists()


def test_disk_full_while_saving_the_model_names_the_file(tiny_index, monkeypatch, tmp_path, capsys):
    index = tmp_path / "index" / "metal" / "plate.csv"
    index.parent.mkdir(parents=True)
    tiny_index.to_csv(index, index=False)

    def write_fails(self, *args, **kwargs):  # torch.save's bytes reach the disk through write_bytes
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_bytes", write_fails)
    out = tmp_path / "models" / "seed0"
    code = main(["train", "--index", str(index), "--method", "mean_image", "--seed", "0", "--out", str(out),
                 "--params-json", '{"image_size": 32}', "--no-progress"])
    assert code == 1
    assert capsys.readouterr().err == f"synthad train: error: {out}/model.pt: No space left on device\n"
