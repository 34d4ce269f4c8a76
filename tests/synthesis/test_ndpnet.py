"""NDP-Net's artificial defects, Eq. 1 (synthad.synthesis.ndpnet)."""

import numpy as np
import pytest
from synth_helpers import ListSource, flat

from synthad.synthesis import TrainingPool
from synthad.synthesis.ndpnet import NdpNetSynthesizer, ndpnet_anomaly


def test_natural_image_pasted_exactly_inside_the_mask(plate_pool, photos):
    natural = photos.images[3]
    synth = NdpNetSynthesizer(ListSource([natural]))
    for seed in range(20):
        sample = synth(plate_pool, seed % len(plate_pool), np.random.default_rng(seed))
        inside = sample.mask == 1
        assert sample.has_anomaly == 1.0 and sample.kind == "natural"  # every sample is a defective pair
        np.testing.assert_array_equal(sample.image[inside], natural[inside].astype(np.float32) / 255)
        np.testing.assert_array_equal(sample.image[~inside], sample.normal[~inside])
        np.testing.assert_array_equal(sample.normal, plate_pool.image(seed % len(plate_pool)))


def test_masks_are_draem_perlin_masks_anywhere_in_the_image(plate_pool, photos):
    masks = [NdpNetSynthesizer(photos)(plate_pool, 0, np.random.default_rng(s)).mask for s in range(60)]
    union = np.max(masks, axis=0)
    assert union[plate_pool.foreground(0) == 0].any()  # textures: no foreground restriction
    coverage = np.mean([m.mean() for m in masks])
    assert 0.02 < coverage < 0.5


def test_seeded(plate_pool, photos):
    synth = NdpNetSynthesizer(photos)
    a, b, c = (synth(plate_pool, 1, np.random.default_rng(s)) for s in (5, 5, 6))
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.mask, b.mask)
    assert not np.array_equal(a.image, c.image)


def test_options_and_errors():
    image = np.full((32, 32, 3), 0.5, np.float32)
    natural = flat([10, 20, 30], 32)
    out, mask = ndpnet_anomaly(image, natural, np.random.default_rng(0), threshold=-2.0)
    assert mask.all()
    np.testing.assert_array_equal(out, np.broadcast_to(natural / np.float32(255), out.shape))
    pool_image = np.full((1, 64, 64, 3), 128, np.uint8)
    never = NdpNetSynthesizer(ListSource([flat([0, 0, 0])]), anomaly_prob=0.0)
    assert never(TrainingPool(pool_image), 0, np.random.default_rng(0)).has_anomaly == 0.0
    with pytest.raises(ValueError, match="natural source"):
        NdpNetSynthesizer(ListSource([natural]))(TrainingPool(pool_image), 0, np.random.default_rng(0))
