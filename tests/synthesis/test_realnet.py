"""RealNet's SDAS blending (synthad.synthesis.realnet)."""

import numpy as np
import pytest
from synth_helpers import ListSource, colour_pool, flat, source_colour

from synthad.synthesis.realnet import RealNetSynthesizer, realnet_anomaly

TARGET = np.array([60, 60, 60], np.uint8)
SOURCE = np.array([250, 100, 10], np.uint8)


def _opacities(synth, n):
    pool = colour_pool([TARGET])
    out = []
    for seed in range(n):
        s = synth(pool, 0, np.random.default_rng(seed))
        if s.has_anomaly:
            colours = np.unique(s.image[s.mask == 1], axis=0)
            assert len(colours) == 1
            out.append(source_colour(colours[0], TARGET / 255, SOURCE[None] / 255)[1])
    return np.array(out)


def test_sdas_opacity_is_0_5_to_1():
    o = _opacities(RealNetSynthesizer(ListSource([flat(SOURCE)]), normal_prob=0.0), 200)
    assert len(o) > 100
    assert o.min() >= 0.5 - 1e-5 and o.max() <= 1.0 + 1e-5
    assert o.min() < 0.53 and o.max() > 0.97


def test_dtd_opacity_is_0_2_to_1_and_kind_texture():
    synth = RealNetSynthesizer(ListSource([flat([0, 0, 0])]), ListSource([flat(SOURCE)]), normal_prob=0.0,
                               sdas_prob=0.0, dtd_prob=1.0, dtd_augmenters=0)
    o = _opacities(synth, 200)
    assert o.min() >= 0.2 - 1e-5 and o.max() <= 1.0 + 1e-5
    assert o.min() < 0.25 and o.max() > 0.95
    s = synth(colour_pool([TARGET]), 0, np.random.default_rng(1))
    assert s.kind == "texture"


def test_normal_and_sdas_half_each():
    # Threshold -2 makes every Perlin mask full, so each "sdas" draw shows as an anomaly.
    synth = RealNetSynthesizer(ListSource([flat(SOURCE)]), threshold=-2.0)
    pool, rng = colour_pool([TARGET]), np.random.default_rng(0)  # one stream, as in training
    kinds = [synth(pool, 0, rng).kind for _ in range(1000)]
    assert set(kinds) == {"normal", "sdas"}
    assert kinds.count("sdas") / 1000 == pytest.approx(0.5, abs=0.05)  # 3 standard deviations


def test_real_photos_masks_in_foreground_and_seeded(plate_pool, photos):
    synth = RealNetSynthesizer(photos)
    samples = [synth(plate_pool, s % len(plate_pool), np.random.default_rng(s)) for s in range(150)]
    anomalous = [(i, s) for i, s in enumerate(samples) if s.has_anomaly]
    assert 0.3 < len(anomalous) / 150 <= 0.6
    for i, s in anomalous:
        assert s.kind == "sdas" and not s.mask[plate_pool.foreground(i % len(plate_pool)) == 0].any()
        np.testing.assert_array_equal(s.image[s.mask == 0], s.normal[s.mask == 0])
    i, first = anomalous[0]
    again = synth(plate_pool, i % len(plate_pool), np.random.default_rng(i))
    np.testing.assert_array_equal(again.image, first.image)
    np.testing.assert_array_equal(again.mask, first.mask)
    assert not np.array_equal(first.image, anomalous[1][1].image)


def test_empty_mask_is_a_normal_sample_and_errors():
    synth = RealNetSynthesizer(ListSource([flat(SOURCE)]), normal_prob=0.0, threshold=5.0)
    s = synth(colour_pool([TARGET]), 0, np.random.default_rng(0))
    assert s.kind == "normal" and s.has_anomaly == 0.0 and np.array_equal(s.image, s.normal)
    with pytest.raises(ValueError, match="needs a textures source"):
        RealNetSynthesizer(ListSource([flat(SOURCE)]), dtd_prob=0.25)
    black = np.zeros((16, 16, 3), np.float32)
    image, mask = realnet_anomaly(black, flat(SOURCE, 16), np.random.default_rng(0), np.zeros((16, 16)),
                                  threshold=-2.0)
    assert not mask.any() and not image.any()  # an empty foreground admits no anomaly
