"""SLSG's structural and logical anomaly simulation (synthad.synthesis.slsg)."""

import numpy as np
import pytest
from synth_helpers import ListSource, colour_pool, flat, source_colour

from synthad.synthesis.slsg import SlsgSynthesizer, permute_patches, slsg_anomaly

COLOURS = np.array([[220, 40, 40], [40, 220, 40], [40, 40, 220], [200, 200, 40]], np.uint8)
TEXTURE = np.array([20, 120, 240], np.uint8)
LOGICAL = dict(logical_prob=1.0, jitter=False, logical_rotation=(0.0, 0.0))
TEXTURE_ONLY = dict(logical_prob=0.0, texture_prob=1.0, jitter=False)


def _deltas(synth, pool, index, seeds, candidates):
    """Per sample: (candidate index, delta) recovered from the single colour inside the mask."""
    out = []
    for seed in seeds:
        sample = synth(pool, index, np.random.default_rng(seed))
        colours = np.unique(sample.image[sample.mask == 1], axis=0)
        assert sample.has_anomaly and len(colours) == 1
        out.append(source_colour(colours[0], COLOURS[index] / 255, candidates))
    return out


@pytest.mark.parametrize("index", [0, 3])
def test_logical_source_is_another_image_with_delta_0_75_to_1(index):
    pool = colour_pool(COLOURS)
    others = np.delete(COLOURS, index, axis=0) / 255
    fits = _deltas(SlsgSynthesizer(None, **LOGICAL), pool, index, range(80), others)
    deltas = [w for _, w in fits]
    # Had the image itself been the source, the colour would not move: delta would read 0.
    assert min(deltas) >= 0.75 - 1e-5 and max(deltas) <= 1.0 + 1e-5
    assert min(deltas) < 0.78 and max(deltas) > 0.97
    assert {k for k, _ in fits} == {0, 1, 2}


def test_texture_delta_is_0_25_a_quarter_of_the_time_else_0_1_to_1():
    pool = colour_pool(COLOURS)
    synth = SlsgSynthesizer(ListSource([np.broadcast_to(TEXTURE, (64, 64, 3))]), **TEXTURE_ONLY)
    deltas = np.array([w for _, w in _deltas(synth, pool, 0, range(300), TEXTURE[None] / 255)])
    fixed = np.isclose(deltas, 0.25, atol=1e-5)
    assert fixed.mean() == pytest.approx(0.25, abs=0.07)
    rest = deltas[~fixed]
    assert rest.min() >= 0.1 - 1e-5 and rest.max() <= 1.0 + 1e-5
    assert rest.min() < 0.15 and rest.max() > 0.95


def test_masks_in_foreground_large_enough_and_always_anomalous(plate_pool, photos):
    synth = SlsgSynthesizer(photos)
    kinds = []
    for seed in range(120):
        index = seed % len(plate_pool)
        s = synth(plate_pool, index, np.random.default_rng(seed))
        assert s.has_anomaly == 1.0 and s.mask.sum() >= 49
        assert not s.mask[plate_pool.foreground(index) == 0].any()
        np.testing.assert_array_equal(s.image[s.mask == 0], s.normal[s.mask == 0])
        kinds.append(s.kind)
    assert kinds.count("logical") / 120 == pytest.approx(0.5, abs=0.12)
    assert kinds.count("texture") / 120 == pytest.approx(0.25, abs=0.1)
    assert kinds.count("permuted") / 120 == pytest.approx(0.25, abs=0.1)


def test_foreground_enhancement_can_be_disabled(plate_pool, photos):
    synth = SlsgSynthesizer(photos, foreground=False)
    union = np.max([synth(plate_pool, 0, np.random.default_rng(s)).mask for s in range(40)], axis=0)
    assert union[plate_pool.foreground(0) == 0].any()


def test_logical_masks_are_larger_than_texture_masks():
    pool = colour_pool(COLOURS)
    texture = ListSource([np.broadcast_to(TEXTURE, (64, 64, 3))])
    area = lambda **kw: np.mean([  # noqa: E731
        SlsgSynthesizer(texture, **kw)(pool, 0, np.random.default_rng(s)).mask.mean() for s in range(150)])
    assert area(**LOGICAL) > 1.3 * area(**TEXTURE_ONLY)


def test_permute_patches_shuffles_grid_cells():
    image = np.arange(30 * 30 * 3, dtype=np.int32).reshape(30, 30, 3)
    out = permute_patches(image, np.random.default_rng(0), grid=(4, 4))  # 4 x 4 cells of 7 px, 2 px left over
    np.testing.assert_array_equal(out[28:], image[28:])
    np.testing.assert_array_equal(out[:, 28:], image[:, 28:])
    cells = lambda a: sorted(a[y:y + 7, x:x + 7].tobytes() for y in range(0, 28, 7) for x in range(0, 28, 7))  # noqa: E731
    assert cells(out) == cells(image) and not np.array_equal(out, image)


def test_permuted_branch_pastes_pieces_of_the_image_itself(plate_pool):
    synth = SlsgSynthesizer(None, logical_prob=0.0, texture_prob=0.0, jitter=False,
                            same_data_delta=(1.0, 1.0))
    s = synth(plate_pool, 0, np.random.default_rng(2))
    assert s.kind == "permuted"
    inside = s.image[s.mask == 1]
    assert not np.array_equal(inside, s.normal[s.mask == 1])
    own_colours = set(map(tuple, plate_pool.images[0].reshape(-1, 3)))
    assert set(map(tuple, (inside * 255).round().astype(int))) <= own_colours


def test_jitter_changes_the_source_and_everything_is_seeded(plate_pool, photos):
    on, off = SlsgSynthesizer(photos), SlsgSynthesizer(photos, jitter=False)
    a, b, c = (on(plate_pool, 1, np.random.default_rng(s)) for s in (4, 4, 5))
    np.testing.assert_array_equal(a.image, b.image)
    assert not np.array_equal(a.image, c.image)
    image, source = np.full((32, 32, 3), 0.5, np.float32), flat([90, 90, 90], 32)
    plain, _ = slsg_anomaly(image, source, np.random.default_rng(0), threshold=-2.0, jitter=False)
    jittered, _ = slsg_anomaly(image, source, np.random.default_rng(0), threshold=-2.0)
    np.testing.assert_allclose(plain, 90 / 255, atol=1e-6)
    assert np.abs(jittered - plain).max() > 0.01
    assert off(plate_pool, 1, np.random.default_rng(4)).image.shape == (64, 64, 3)
