"""Output options are checked for writability when the command line is parsed, in every stage."""

import argparse
import os

import pytest

from synthad.cli import STAGES, build_stage_parser, main
from synthad.stages.options import output_path, ranged_int
from synthad.utils.ranges import PositiveInt

# Options that name something a stage writes; every one of them must be an ``output_path``.
OUTPUT_OPTIONS = {"--out", "--settings-out", "--archives", "--sheet", "--checkpoint"}


@pytest.fixture
def read_only(tmp_path, monkeypatch):
    """A folder this process may not write into (root ignores permissions: simulated then)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    if os.geteuid() == 0:
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda path, mode: False if os.fspath(path) == str(folder)
                            else real_access(path, mode))
    yield folder
    folder.chmod(0o755)


def test_unwritable_output_folder_is_a_usage_error_before_any_work(read_only, monkeypatch, capsys):
    import synthad.stages.textures as textures

    monkeypatch.setattr(textures, "run", lambda args: pytest.fail("the stage ran"))
    target = read_only / "banks" / "textures"
    with pytest.raises(SystemExit) as exc:
        main(["textures", "--out", str(target)])
    assert exc.value.code == 2
    assert f"argument --out: {target}: folder {read_only} is not writable" in capsys.readouterr().err


def test_existing_file_in_the_way_is_named(tmp_path):
    (tmp_path / "results").write_text("not a folder")
    with pytest.raises(argparse.ArgumentTypeError, match="results is not a folder"):
        output_path(str(tmp_path / "results" / "metrics.csv"))


def test_new_nested_output_under_a_writable_folder_is_accepted(tmp_path):
    assert output_path(str(tmp_path / "a" / "b" / "out.csv")) == tmp_path / "a" / "b" / "out.csv"
    assert not (tmp_path / "a").exists()  # checking creates nothing


def test_output_file_is_checked_through_its_folder(read_only, tmp_path):
    (tmp_path / "metrics.csv").write_text("x\n")
    assert output_path(str(tmp_path / "metrics.csv")).name == "metrics.csv"
    with pytest.raises(argparse.ArgumentTypeError, match="not writable"):
        output_path(str(read_only / "metrics.csv"))


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_every_output_option_is_an_output_path(stage):
    parser, _ = build_stage_parser(stage)
    for action in parser._actions:
        if OUTPUT_OPTIONS & set(action.option_strings):
            assert action.type is output_path, (stage, action.option_strings)


def test_ranged_int_accepts_the_declared_range_and_names_what_is_wrong():
    parse = ranged_int(PositiveInt)
    assert parse("3") == 3
    with pytest.raises(argparse.ArgumentTypeError, match="out of range|must be"):
        parse("0")
    with pytest.raises(argparse.ArgumentTypeError, match="expected an integer, got 'x'"):
        parse("x")
