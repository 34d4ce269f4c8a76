"""Built-in sources, DRAEM augmenters and the DRAEM anomaly generator."""

import numpy as np
import pytest

from synthad.banks import open_bank
from synthad.synthesis import (
    AUGMENTERS,
    DraemSynthesizer,
    TrainingPool,
    augment_random,
    builtin_natural_images,
    builtin_textures,
    draem_anomaly,
    rotate_original,
)


def test_builtin_textures_offline_and_deterministic():
    a = builtin_textures(size=32, seed=0, variants=1)
    b = builtin_textures(size=32, seed=0, variants=1)
    assert len(a) >= 28
    for (na, ia), (nb, ib) in zip(a, b, strict=True):
        assert na == nb and ia.shape == (32, 32, 3) and ia.dtype == np.uint8
        np.testing.assert_array_equal(ia, ib)
    assert len({name for name, _ in a}) == len(a)


def test_builtin_natural_images_are_photo_crops():
    a = builtin_natural_images(size=24, seed=3, count=20)
    b = builtin_natural_images(size=24, seed=3, count=20)
    assert len(a) == 20 and len({name for name, _ in a}) == 20
    assert not any(name.startswith(("text", "logo", "checkerboard")) for name, _ in a)  # photos only
    for (_, ia), (_, ib) in zip(a, b, strict=True):
        assert ia.shape == (24, 24, 3) and ia.dtype == np.uint8
        np.testing.assert_array_equal(ia, ib)
    assert not np.array_equal(a[0][1], builtin_natural_images(size=24, seed=4, count=1)[0][1])


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


def test_draem_synthesizer_on_a_bank(banks, metal_plate):
    import cv2

    photo = cv2.resize(cv2.imread(str(metal_plate / "train/good/000.png"))[:, :, ::-1], (32, 32))
    pool = TrainingPool(photo[None])
    synth = DraemSynthesizer(open_bank(banks["textures"], 32, "textures"), rotate_prob=0.0, anomaly_prob=1.0)
    first = synth(pool, 0, np.random.default_rng(1))
    again = synth(pool, 0, np.random.default_rng(1))
    assert first.image.shape == (32, 32, 3) and first.mask.shape == (32, 32)
    np.testing.assert_array_equal(first.image, again.image)
    np.testing.assert_array_equal(first.normal, pool.image(0))
    assert first.kind == ("texture" if first.has_anomaly else "normal")
