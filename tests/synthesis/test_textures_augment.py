"""Texture sources, DRAEM augmenters and the DRAEM anomaly generator."""

import json

import numpy as np
import pytest

from synthad.errors import DataError
from synthad.synthesis import (
    AUGMENTERS, DraemSynthesizer, TextureSource, augment_random, builtin_textures, draem_anomaly,
    list_texture_files, rotate_original, write_builtin_textures,
)


@pytest.fixture(scope="module")
def texture_dir(tmp_path_factory):
    return write_builtin_textures(tmp_path_factory.mktemp("tex") / "textures", size=64, seed=0, variants=1)


def test_builtin_textures_offline_and_deterministic():
    a = builtin_textures(size=32, seed=0, variants=1)
    b = builtin_textures(size=32, seed=0, variants=1)
    assert len(a) >= 28
    for (na, ia), (nb, ib) in zip(a, b, strict=True):
        assert na == nb and ia.shape == (32, 32, 3) and ia.dtype == np.uint8
        np.testing.assert_array_equal(ia, ib)
    assert len({name for name, _ in a}) == len(a)


def test_write_builtin_textures_manifest(texture_dir):
    manifest = json.loads((texture_dir / "manifest.json").read_text())
    files = list_texture_files(texture_dir)
    assert manifest["count"] == len(files) == len(manifest["files"])
    assert not any(p.name.startswith(".") for p in texture_dir.parent.iterdir())  # no temp dir left


def test_texture_source_reads_dtd_layout(tmp_path, texture_dir):
    import shutil

    cls = tmp_path / "dtd" / "images" / "banded"
    cls.mkdir(parents=True)
    for p in list_texture_files(texture_dir)[:3]:
        shutil.copy(p, cls / (p.stem + ".jpg"))
    src = TextureSource(tmp_path / "dtd", size=48)
    assert len(src) == 3
    assert src.sample(np.random.default_rng(0)).shape == (48, 48, 3)


def test_texture_source_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        TextureSource(tmp_path / "missing", 32)
    with pytest.raises(DataError, match="no texture images"):
        TextureSource(tmp_path, 32)


@pytest.mark.parametrize("aug", AUGMENTERS, ids=lambda f: f.__name__)
def test_augmenters_keep_shape_dtype(aug):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
    for _ in range(3):
        out = aug(img, rng)
        assert out.shape == img.shape and out.dtype == np.uint8


def test_augment_random_deterministic():
    img = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    a = augment_random(img, np.random.default_rng(5))
    b = augment_random(img, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)


def test_draem_anomaly_outputs():
    rng = np.random.default_rng(0)
    img = rng.random((64, 64, 3)).astype(np.float32)
    tex = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    seen = set()
    for _ in range(30):
        aug, mask, has = draem_anomaly(img, tex, rng)
        assert aug.shape == img.shape and aug.dtype == np.float32 and mask.shape == (64, 64)
        assert 0 <= aug.min() and aug.max() <= 1
        assert has == float(mask.any())
        np.testing.assert_allclose(aug[mask == 0], img[mask == 0], atol=1e-6)  # untouched outside M
        seen.add(has)
    assert seen == {0.0, 1.0}
    _, mask, has = draem_anomaly(img, tex, rng, anomaly_prob=0.0)
    assert has == 0.0 and not mask.any()


def test_rotate_original_probability():
    img = np.ones((32, 32, 3), np.float32)
    assert rotate_original(img, np.random.default_rng(0), p=0.0) is img
    assert rotate_original(img, np.random.default_rng(0), p=1.0, angle=(45, 45))[0, 0].sum() == 0


def test_draem_synthesizer(texture_dir):
    synth = DraemSynthesizer(TextureSource(texture_dir, 64), anomaly_prob=1.0)
    normal, aug, mask, has = synth(np.full((64, 64, 3), 0.5, np.float32), np.random.default_rng(1))
    assert normal.shape == aug.shape == (64, 64, 3) and mask.shape == (64, 64)


def test_textures_stage_builtin_and_dtd_link(tmp_path):
    import argparse

    from synthad.stages import textures as stage

    parser = argparse.ArgumentParser()
    stage.add_arguments(parser)
    stage.run(parser.parse_args(["--out", str(tmp_path / "builtin"), "--size", "32", "--variants", "1"]))
    n = len(list_texture_files(tmp_path / "builtin"))
    stage.run(parser.parse_args(["--out", str(tmp_path / "linked"), "--dtd", str(tmp_path / "builtin")]))
    assert len(TextureSource(tmp_path / "linked", 32)) == n
    manifest = json.loads((tmp_path / "linked" / "manifest.json").read_text())
    assert manifest["source"] == "folder" and manifest["count"] == n
