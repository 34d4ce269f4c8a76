"""DMP's same-data, foreground-constrained anomalies (synthad.synthesis.dmp)."""

import numpy as np
import pytest
from synth_helpers import ListSource, colour_pool, flat, source_colour

from synthad.synthesis.dmp import DmpSynthesizer, dmp_blend, dmp_mask

COLOURS = np.array([[200, 30, 30], [30, 200, 30], [30, 30, 200]], np.uint8)


def _anomalies(synth, pool, index, seeds):
    samples = [synth(pool, index, np.random.default_rng(s)) for s in seeds]
    return [s for s in samples if s.has_anomaly]


def test_mask_lies_inside_source_and_target_foreground():
    fg = np.zeros((2, 64, 64), np.float32)
    fg[0, :, :40] = 1  # target: left part
    fg[1, :40, :] = 1  # the only other image: top part
    pool = colour_pool(COLOURS[:2], fg)
    samples = _anomalies(DmpSynthesizer(anomaly_prob=1.0, rotate_prob=0.0), pool, 0, range(60))
    union = np.max([s.mask for s in samples], axis=0)
    assert len(samples) > 40 and union.any()
    assert not union[fg[0] * fg[1] == 0].any()
    assert union[fg[0] * fg[1] == 1].mean() > 0.5  # the mask is not stuck in a corner either


def test_beta_weighs_the_source_in_0_to_0_8():
    pool = colour_pool(COLOURS)
    synth = DmpSynthesizer(anomaly_prob=1.0, rotate_prob=0.0)
    betas = []
    for sample in _anomalies(synth, pool, 1, range(300)):
        colours = np.unique(sample.image[sample.mask == 1], axis=0)
        assert len(colours) == 1  # one beta per sample
        betas.append(source_colour(colours[0], COLOURS[1] / 255, COLOURS / 255)[1])
    assert min(betas) >= -1e-5 and max(betas) < 0.8
    assert min(betas) < 0.05 and max(betas) > 0.75  # the full range, and beta is the *source* weight


@pytest.mark.parametrize("index", [0, 1, 2])
def test_source_is_another_training_image(index):
    pool = colour_pool(COLOURS)
    others = np.delete(COLOURS, index, axis=0) / 255
    synth = DmpSynthesizer(anomaly_prob=1.0, rotate_prob=0.0, beta=(0.8, 0.8))
    seen = set()
    for sample in _anomalies(synth, pool, index, range(40)):
        y, x = np.argwhere(sample.mask)[0]
        k, w = source_colour(sample.image[y, x], COLOURS[index] / 255, others)
        assert w == pytest.approx(0.8, abs=1e-4)  # so the source colour differs from the target's
        seen.add(k)
    assert seen == {0, 1}  # both other images serve as sources


def test_mask_follows_the_rotated_target_foreground():
    pool = colour_pool(COLOURS)
    synth = DmpSynthesizer(anomaly_prob=1.0, rotate_prob=1.0, perlin_scales=(0, 1), threshold=-2.0)
    sample = synth(pool, 0, np.random.default_rng(3))
    corners = sample.normal.sum(-1) == 0
    assert corners.any()  # the target was rotated: black corners, no foreground there
    assert not sample.mask[corners].any() and sample.mask[~corners].mean() > 0.95


def test_real_photos_seeded_and_constrained(plate_pool):
    synth = DmpSynthesizer()
    samples = [synth(plate_pool, 2, np.random.default_rng(s)) for s in range(200)]
    again = synth(plate_pool, 2, np.random.default_rng(7))
    np.testing.assert_array_equal(again.image, samples[7].image)
    np.testing.assert_array_equal(again.mask, samples[7].mask)
    anomalous = [s for s in samples if s.has_anomaly]
    assert not np.array_equal(anomalous[0].image, anomalous[1].image)
    assert 0.3 < len(anomalous) / len(samples) <= 0.55  # p = 0.5, minus empty masks
    for s in anomalous:
        assert s.kind == "same_data" and s.image.dtype == np.float32
        assert 0 <= s.image.min() <= s.image.max() <= 1
        np.testing.assert_array_equal(s.image[s.mask == 0], s.normal[s.mask == 0])
    unrotated = [s for s in anomalous if np.array_equal(s.normal, plate_pool.image(2))]
    assert unrotated and all(not s.mask[plate_pool.foreground(2) == 0].any() for s in unrotated)


def test_pure_functions_match_eq_1_and_2():
    rng = np.random.default_rng(0)
    image_fg, source_fg = (rng.random((2, 32, 32)) > 0.3).astype(np.float32)
    mask = dmp_mask(image_fg, source_fg, np.random.default_rng(1), threshold=-2.0)
    np.testing.assert_array_equal(mask, image_fg * source_fg)  # P_M is all ones at threshold -2
    image, source = rng.random((2, 32, 32, 3)).astype(np.float32)
    out = dmp_blend(image, source, mask, 0.3)
    expected = 0.3 * source * mask[..., None] + 0.7 * image * mask[..., None] + image * (1 - mask[..., None])
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_data_set_wide_sources_come_from_the_source_pool():
    target = colour_pool([(200, 200, 200)])
    others = colour_pool([(0, 0, 255), (0, 255, 0)])
    synth = DmpSynthesizer(anomaly_prob=1.0, rotate_prob=0.0, beta=(0.5, 0.5), source_pool=others)
    seen = set()
    for seed in range(30):
        s = synth(target, 0, np.random.default_rng(seed))
        if s.has_anomaly:
            pixel = s.image[s.mask > 0][0]
            np.testing.assert_allclose(pixel[0], 0.5 * 200 / 255, atol=1e-6)  # red only from the target
            seen.add(int(pixel[2] > pixel[1]))
    assert seen == {0, 1}  # both source images were used


def test_texture_source_ablation_draws_from_the_textures_with_a_full_source_foreground():
    fg = np.zeros((1, 64, 64), np.float32)
    fg[0, :, :32] = 1  # the target's foreground only: the texture has none to restrict with
    target = colour_pool([(200, 200, 200)], fg)
    textures = ListSource([flat((0, 0, 255)), flat((0, 255, 0))])
    synth = DmpSynthesizer(anomaly_prob=1.0, rotate_prob=0.0, beta=(0.5, 0.5), perlin_scales=(0, 1),
                           threshold=-2.0, texture_source=textures)
    seen = set()
    for seed in range(20):
        s = synth(target, 0, np.random.default_rng(seed))
        assert s.kind == "texture"
        np.testing.assert_array_equal(s.mask, fg[0])  # M2 = P_M * I_M with A_M = 1 (P_M all ones here)
        pixel = s.image[0, 0]
        np.testing.assert_allclose(pixel[0], 0.5 * 200 / 255, atol=1e-6)  # red only from the target
        seen.add(int(pixel[2] > pixel[1]))
    assert seen == {0, 1}  # both textures were used


def test_texture_source_must_match_the_pool_and_excludes_a_source_pool():
    pool = colour_pool(COLOURS)
    with pytest.raises(ValueError, match="not both"):
        DmpSynthesizer(source_pool=pool, texture_source=ListSource([flat((0, 0, 0))]))
    synth = DmpSynthesizer(anomaly_prob=1.0, texture_source=ListSource([flat((0, 0, 0), size=32)]))
    with pytest.raises(ValueError, match="DMP texture source image"):
        synth(pool, 0, np.random.default_rng(0))
