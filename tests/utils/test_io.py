"""Atomic writes: a failure leaves the old output, a success gives ordinary permissions."""

import os
import stat

import pytest

from synthad.utils.io import atomic_dir, write_text


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_atomic_dir_replaces_the_folder_with_ordinary_permissions(tmp_path):
    out = tmp_path / "tables"
    with atomic_dir(out) as tmp:
        (tmp / "a.csv").write_text("x\n")
    umask = os.umask(0)
    os.umask(umask)
    assert (out / "a.csv").read_text() == "x\n"
    assert _mode(out) == 0o777 & ~umask  # not mkdtemp's 0700


def test_atomic_dir_keeps_the_old_folder_when_the_body_fails(tmp_path):
    out = tmp_path / "tables"
    out.mkdir()
    (out / "old.csv").write_text("old\n")
    with pytest.raises(RuntimeError), atomic_dir(out) as tmp:
        (tmp / "new.csv").write_text("half")
        raise RuntimeError("stage failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tables"]
    assert [p.name for p in out.iterdir()] == ["old.csv"]


def test_write_text_gives_a_file_ordinary_permissions(tmp_path):
    write_text(tmp_path / "note.txt", "hi")
    umask = os.umask(0)
    os.umask(umask)
    assert _mode(tmp_path / "note.txt") == 0o666 & ~umask
