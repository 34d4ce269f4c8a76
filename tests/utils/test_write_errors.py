"""A failed write is an error naming the file: images (``write_image``) and atomic outputs."""

import errno
import os

import cv2
import numpy as np
import pytest
import requests

from synthad.errors import DataError
from synthad.utils.images import write_image
from synthad.utils.io import atomic_dir, atomic_path


def test_write_image_writes_rgb_as_rgb_and_grey_as_grey(tmp_path):
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[..., 0] = 200  # red
    write_image(tmp_path / "sub" / "rgb.png", rgb)  # the folder is created
    assert (cv2.imread(str(tmp_path / "sub" / "rgb.png"))[..., 2] == 200).all()  # OpenCV reads BGR
    grey = np.full((4, 5), 7, np.uint8)
    assert (cv2.imread(str(write_image(tmp_path / "g.png", grey)), cv2.IMREAD_UNCHANGED) == grey).all()


def test_write_image_failure_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(cv2, "imwrite", lambda *args: False)  # a full disk: OpenCV returns False
    with pytest.raises(DataError, match=r"x\.png: cannot write image"):
        write_image(tmp_path / "x.png", np.zeros((4, 4), np.uint8))


def test_write_image_without_an_encoder_names_the_file(tmp_path):
    with pytest.raises(DataError, match=r"x\.nope: cannot write image"):
        write_image(tmp_path / "x.nope", np.zeros((4, 4), np.uint8))


def _disk_full():
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as write() raises it: no file name


def test_atomic_path_names_the_output_of_a_failed_write(tmp_path):
    with pytest.raises(OSError) as exc, atomic_path(tmp_path / "model.pt"):
        _disk_full()
    assert exc.value.errno == errno.ENOSPC and exc.value.filename == str(tmp_path / "model.pt")
    assert list(tmp_path.iterdir()) == []  # the temporary file is gone


def test_atomic_dir_names_the_output_of_a_failed_write(tmp_path):
    with pytest.raises(OSError) as exc, atomic_dir(tmp_path / "bank"):
        _disk_full()
    assert exc.value.filename == str(tmp_path / "bank")


def test_errors_that_name_a_file_or_have_their_own_type_pass_unchanged(tmp_path):
    with pytest.raises(FileNotFoundError) as exc, atomic_path(tmp_path / "out.csv"):
        open(tmp_path / "missing.csv")
    assert exc.value.filename == str(tmp_path / "missing.csv")
    with pytest.raises(requests.ConnectionError), atomic_dir(tmp_path / "data"):
        raise requests.ConnectionError("no network")
