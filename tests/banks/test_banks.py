"""Anomaly banks: manifests round-trip, readers resize and sample, bad banks fail clearly."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from synthad.banks import (
    BankManifest,
    import_sia,
    link_folder_bank,
    open_bank,
    read_manifest,
    write_image_bank,
    write_manifest,
)
from synthad.errors import DataError


def _images(n=3, size=20):
    rng = np.random.default_rng(0)
    return [(f"img{i}", rng.integers(0, 256, (size, size, 3), dtype=np.uint8)) for i in range(n)]


@pytest.fixture
def bank(tmp_path):
    write_image_bank(tmp_path / "bank", _images(), "sdas", "unit", {"strength": [0.1, 0.2]}, seed=7)
    return tmp_path / "bank"


def test_manifest_round_trip(bank):
    manifest = read_manifest(bank)
    assert manifest == BankManifest("sdas", "unit", {"strength": [0.1, 0.2]}, 7, manifest.files)
    assert manifest.count == 3 and all(len(d) == 64 for d in manifest.files.values())
    stored = json.loads((bank / "manifest.json").read_text())
    assert stored["count"] == 3
    write_manifest(bank, manifest)
    assert read_manifest(bank) == manifest


def test_reader_returns_exact_pixels_and_resizes(bank):
    exact = open_bank(bank, 20, "sdas")
    np.testing.assert_array_equal(exact.load(1), _images()[1][1])  # PNG is lossless, RGB order kept
    resized = open_bank(bank, 8)
    assert resized.sample(np.random.default_rng(0)).shape == (8, 8, 3)
    draws = [open_bank(bank, 8).sample(np.random.default_rng(5)) for _ in range(2)]
    np.testing.assert_array_equal(*draws)


def test_not_a_bank(tmp_path):
    with pytest.raises(DataError, match="not an anomaly bank"):
        open_bank(tmp_path, 8)


def test_wrong_kind(bank):
    with pytest.raises(DataError, match="a 'sdas' bank, but 'textures' is needed"):
        open_bank(bank, 8, "textures")


def test_missing_image(bank):
    (bank / "images" / "img2.png").unlink()
    with pytest.raises(DataError, match="1 of 3 bank images are missing"):
        open_bank(bank, 8)


def test_changed_image_fails_the_checksum(bank):
    shutil.copy(bank / "images" / "img0.png", bank / "images" / "img1.png")
    with pytest.raises(DataError, match="differ from the manifest's checksums.*img1.png"):
        open_bank(bank, 8)
    assert len(open_bank(bank, 8, verify=False)) == 3  # opt-out for huge linked folders


def test_undecodable_image_is_named(bank):
    path = bank / "images" / "img0.png"
    path.write_bytes(b"not a png")
    manifest = read_manifest(bank)
    manifest.files = {k: v for k, v in manifest.files.items()} | {"images/img0.png": _sha(path)}
    write_manifest(bank, manifest)
    with pytest.raises(DataError, match="img0.png"):
        open_bank(bank, 8).load(0)


def test_malformed_and_inconsistent_manifests(bank):
    path = bank / "manifest.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps(data | {"count": 5}))
    with pytest.raises(DataError, match="count 5 but 3 files"):
        read_manifest(bank)
    path.write_text(json.dumps(data | {"kind": "clouds"}))
    with pytest.raises(DataError, match="unknown bank kind 'clouds'"):
        read_manifest(bank)
    path.write_text(json.dumps({"kind": "sdas"}))
    with pytest.raises(DataError, match="malformed|empty"):
        read_manifest(bank)
    path.write_text("{")
    with pytest.raises(DataError, match="not valid JSON"):
        read_manifest(bank)


def test_linked_folder_detects_a_later_change(metal_plate, tmp_path):
    folder = tmp_path / "user"
    shutil.copytree(metal_plate / "train/good", folder)
    link_folder_bank(tmp_path / "bank", folder, "natural")
    assert len(open_bank(tmp_path / "bank", 16, "natural")) == len(list(folder.glob("*.png")))
    shutil.copy(folder / "001.png", folder / "000.png")
    with pytest.raises(DataError, match="checksums"):
        open_bank(tmp_path / "bank", 16)


def test_sia_import(metal_plate, tmp_path):
    sia = tmp_path / "SIA"
    (sia / "plate").mkdir(parents=True)
    shutil.copy(metal_plate / "train/good/000.png", sia / "plate" / "rank0_0.jpg")
    manifest = import_sia(tmp_path / "bank", sia, "plate")
    assert manifest.kind == "sdas" and manifest.generator == "sia_import" and manifest.count == 1
    with pytest.raises(DataError, match="no SIA images for category 'bottle'.*found categories: plate"):
        import_sia(tmp_path / "other", sia, "bottle")


def test_failed_build_leaves_nothing(tmp_path):
    def broken():
        yield "a", np.zeros((4, 4, 3), np.uint8)
        raise RuntimeError("generator died")

    with pytest.raises(RuntimeError):
        write_image_bank(tmp_path / "bank", broken(), "textures", "unit")
    assert not list(tmp_path.iterdir())


def _sha(path):
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
