"""Lv et al.'s defect generation module (synthad.synthesis.dgm)."""

import numpy as np
import pytest
from synth_helpers import ListSource, colour_pool

from synthad.synthesis.dgm import DgmSynthesizer, dgm_anomaly, ellipse_mask

ONLY = {
    "darken": dict(darken_prob=1.0, lighten_prob=0.0, natural_prob=0.0),
    "lighten": dict(darken_prob=0.0, lighten_prob=1.0, natural_prob=0.0),
    "natural": dict(darken_prob=0.0, lighten_prob=0.0, natural_prob=1.0),
}


def _samples(pool, source, n, **kwargs):
    synth = DgmSynthesizer(source, **kwargs)
    return [synth(pool, s % len(pool), np.random.default_rng(s)) for s in range(n)]


def test_darken_darkens_and_lighten_lightens(plate_pool, photos):
    for op, sign in (("darken", -1), ("lighten", 1)):
        for s in _samples(plate_pool, photos, 20, anomaly_prob=1.0, **ONLY[op]):
            inside = s.mask == 1
            assert s.kind == op and inside.any()
            change = sign * (s.image[inside] - s.normal[inside])
            assert change.min() >= 0 and change.mean() > 0.02
            np.testing.assert_array_equal(s.image[~inside], s.normal[~inside])


def test_replace_equals_the_natural_image_in_the_region(plate_pool, photos):
    natural = photos.images[0]
    for s in _samples(plate_pool, ListSource([natural]), 20, anomaly_prob=1.0, **ONLY["natural"]):
        inside = s.mask == 1
        assert s.kind == "natural"
        np.testing.assert_array_equal(s.image[inside], natural[inside].astype(np.float32) / 255)
        np.testing.assert_array_equal(s.image[~inside], s.normal[~inside])


def test_strength_range_from_pixel_values():
    pool = colour_pool([[128, 128, 128]])
    strengths = []
    for op in ("darken", "lighten"):
        for s in _samples(pool, None, 150, anomaly_prob=1.0, **ONLY[op]):
            value, base = s.image[s.mask == 1][0, 0], 128 / 255
            strengths.append(1 - value / base if op == "darken" else (value - base) / (1 - base))
    assert min(strengths) >= 0.2 - 1e-5 and max(strengths) <= 0.6 + 1e-5
    assert min(strengths) < 0.23 and max(strengths) > 0.57


def test_region_is_an_ellipse_in_the_foreground_with_the_stated_area(plate_pool):
    fg = plate_pool.foreground(0)
    areas = []
    for seed in range(100):
        mask = ellipse_mask((64, 64), np.random.default_rng(seed), fg)
        assert mask.any() and not mask[fg == 0].any()
        areas.append(ellipse_mask((64, 64), np.random.default_rng(seed)).sum() / 64**2)
    # Rasterising and clipping at the border can only shrink, rounding the axes adds a little.
    assert max(areas) <= 0.05 * 1.3 and min(areas) >= 0.002
    assert np.median(areas) > 0.015
    assert not ellipse_mask((32, 32), np.random.default_rng(0), np.zeros((32, 32))).any()


def test_operation_and_anomaly_proportions(plate_pool, photos):
    samples = _samples(plate_pool, photos, 600)
    kinds = [s.kind for s in samples]
    assert kinds.count("normal") / 600 == pytest.approx(0.5, abs=0.07)
    for op in ("darken", "lighten", "natural"):
        assert kinds.count(op) / 600 == pytest.approx(1 / 6, abs=0.05)


def test_seeded(plate_pool, photos):
    synth = DgmSynthesizer(photos, anomaly_prob=1.0)
    a, b, c = (synth(plate_pool, 0, np.random.default_rng(s)) for s in (3, 3, 4))
    np.testing.assert_array_equal(a.image, b.image)
    assert a.kind == b.kind and not np.array_equal(a.image, c.image)


def test_errors():
    image, mask = np.zeros((8, 8, 3), np.float32), np.ones((8, 8), np.float32)
    with pytest.raises(ValueError, match="unknown DGM operation"):
        dgm_anomaly(image, mask, "blur", np.random.default_rng(0))
    with pytest.raises(ValueError, match="needs a natural image"):
        dgm_anomaly(image, mask, "natural", np.random.default_rng(0))
