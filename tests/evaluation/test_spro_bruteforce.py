"""Exact AU-sPRO against a per-threshold loop, and its relation to PRO."""

from __future__ import annotations

import math

import numpy as np
import pytest

from synthad.errors import DataError
from synthad.evaluation.aupro import aupro
from synthad.evaluation.spro import Instances, auspro, saturation_area, spro_curve


def brute_auspro(maps, inst: Instances, limit=0.05):
    """Per distinct threshold: mean min(TP / s, 1) over instances and the FPR; trapezoid to ``limit``."""
    union = np.zeros(maps.shape, bool)
    for mask, image in zip(inst.masks, inst.images, strict=True):
        union[image] |= mask
    free = ~union
    points = [(0.0, 0.0)]
    for t in sorted(set(maps.ravel().tolist()), reverse=True):
        pred = maps >= t
        spro = np.mean([min((pred[i] & m).sum() / s, 1.0)
                        for m, i, s in zip(inst.masks, inst.images, inst.saturation, strict=True)])
        points.append(((pred & free).sum() / free.sum(), spro))
    area = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if x0 >= limit:
            break
        if x1 > limit:
            y1, x1 = y0 + (y1 - y0) * (limit - x0) / (x1 - x0), limit
        area += (x1 - x0) * (y0 + y1) / 2
    return area / limit


def _random_case(seed, n=4, h=10, w=9, decimals=None, overlap=True):
    """Random maps and instances (some overlapping in one image), saturations below the areas."""
    rng = np.random.default_rng(seed)
    masks, images, sats = [], [], []
    for i in range(1, n):  # image 0 is defect-free
        for _ in range(int(rng.integers(1, 3 if overlap else 2))):
            m = np.zeros((h, w), bool)
            y, x = rng.integers(0, h - 3), rng.integers(0, w - 3)
            m[y:y + rng.integers(1, 4), x:x + rng.integers(1, 4)] = True
            masks.append(m)
            images.append(i)
            sats.append(float(rng.uniform(0.3, 1.0) * m.sum()))
    masks = np.stack(masks)
    maps = rng.random((n, h, w))
    for m, i in zip(masks, images, strict=True):
        maps[i] += 0.5 * m * rng.random()
    if decimals is not None:
        maps = np.round(maps, decimals)  # many ties
    return maps, Instances(masks, np.array(images), np.array(sats))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("decimals", [None, 1, 2])
def test_auspro_matches_brute_force(seed, decimals):
    maps, inst = _random_case(seed, decimals=decimals)
    for limit in (0.05, 0.3, 1.0):
        assert auspro(maps, inst, limit) == pytest.approx(brute_auspro(maps, inst, limit), abs=1e-9)


def test_full_saturation_is_pro_and_lower_saturation_only_helps():
    # one instance per image and no overlap: with s = area, sPRO is PRO over these regions
    maps, inst = _random_case(7, n=6, overlap=False)
    # the 8-connected components of each mask are the instance itself (rectangles)
    masks = np.zeros(maps.shape, bool)
    for m, i in zip(inst.masks, inst.images, strict=True):
        masks[i] |= m
    full = Instances(inst.masks, inst.images, inst.masks.sum(axis=(1, 2)).astype(float))
    for limit in (0.05, 0.3):
        assert auspro(maps, full, limit) == pytest.approx(aupro(masks, maps, limit), abs=1e-9)
    fpr_full, spro_full = spro_curve(maps, full)
    fpr_sat, spro_sat = spro_curve(maps, inst)
    np.testing.assert_array_equal(fpr_full, fpr_sat)
    assert (spro_sat >= spro_full - 1e-12).all()  # min(TP/s, 1) >= TP/area for s <= area


def test_saturation_reached_gives_one():
    # a 4-pixel instance saturating at 2 px: the two best pixels already give sPRO = 1
    maps = np.zeros((2, 1, 4))
    maps[1, 0] = [0.9, 0.8, 0.1, 0.2]
    mask = np.array([[[True, True, True, True]]])
    fpr, spro = spro_curve(maps, Instances(mask, np.array([1]), np.array([2.0])))
    # thresholds 0.9, 0.8, 0.2, 0.1, 0.0 -> sPRO .5, 1, 1, 1, 1; free pixels are image 0 (all 0.0)
    np.testing.assert_allclose(spro, [0, 0.5, 1, 1, 1, 1])
    np.testing.assert_allclose(fpr, [0, 0, 0, 0, 0, 1])
    assert auspro(maps, Instances(mask, np.array([1]), np.array([2.0]))) == pytest.approx(1.0)


def test_saturation_area_rules():
    assert saturation_area("rel:0.5", 11, 1.0) == 5  # int() as the official code
    assert saturation_area("rel:1.0", 11, 0.5) == 11  # relative: the scale does not matter
    assert saturation_area("abs:100", 500, 0.25) == 25  # absolute: original pixels scaled
    assert saturation_area("abs:100", 10, 1.0) == 10  # never more than the area
    assert saturation_area("rel:0.1", 3, 1.0) == 1  # never below one pixel
    with pytest.raises(DataError, match="expected rel"):
        saturation_area("0.5", 10, 1.0)


def test_degenerate_inputs():
    maps, inst = _random_case(1)
    empty = Instances(np.zeros((0, *maps.shape[1:]), bool), np.zeros(0, int), np.zeros(0))
    assert math.isnan(auspro(maps, empty))
    with pytest.raises(DataError, match="do not match"):
        auspro(maps[:, :-1], inst)
    with pytest.raises(ValueError, match="fpr_limit"):
        auspro(maps, inst, 0.0)
    assert auspro(maps, inst) == auspro(maps, inst.subset(np.ones(len(maps), bool)))
