"""The synthesizer registry: every method key builds its paper's synthesizer from banks."""

from __future__ import annotations

import numpy as np
import pytest

from synthad.banks import open_bank
from synthad.errors import DataError, UnknownNameError
from synthad.synthesis import TrainingPool
from synthad.synthesis.registry import SYNTHESIZERS, build_synthesizer, get_synthesizer
from synthad.synthesis.sheet import draw_anomalous


@pytest.fixture(scope="module")
def sources(banks):
    return {kind: open_bank(folder, 32, kind) for kind, folder in banks.items()}


@pytest.fixture(scope="module")
def pool():
    rng = np.random.default_rng(0)
    return TrainingPool(rng.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8))


@pytest.mark.parametrize("key", sorted(SYNTHESIZERS))
def test_every_synthesizer_builds_and_makes_anomalies(key, sources, pool):
    synth = build_synthesizer(key, sources)
    samples = draw_anomalous(synth, pool, 3, seed=1)
    assert len(samples) == 3
    for _index, s in samples:
        assert s.image.shape == (32, 32, 3) and s.mask.shape == (32, 32) and s.has_anomaly == 1.0
        assert s.kind != "normal" and not np.array_equal(s.image, s.normal)


def test_missing_bank_and_unknown_key(sources):
    with pytest.raises(DataError, match="realnet synthesizer needs the sdas bank"):
        build_synthesizer("realnet", {"textures": sources["textures"]})
    with pytest.raises(UnknownNameError, match="unknown synthesizer 'drem'; known: dmp, draem"):
        get_synthesizer("drem")


def test_parameters_reach_the_synthesizer(sources, pool):
    synth = build_synthesizer("draem", sources, anomaly_prob=0.0)
    assert draw_anomalous(synth, pool, 2, seed=0, max_tries=5) == []
