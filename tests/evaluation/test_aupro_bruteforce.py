"""Exact AU-PRO against a per-threshold loop that recomputes every region overlap."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage

from synthad.errors import DataError
from synthad.evaluation.aupro import aupro, label_regions, pro_curve


def brute_aupro(masks, maps, limit=0.3):
    """Per distinct threshold: mean region overlap and FPR; trapezoid to ``limit`` with interpolation."""
    regions = []
    for i, mask in enumerate(masks):
        lab, n = ndimage.label(mask, structure=np.ones((3, 3)))
        regions += [(i, lab == k) for k in range(1, n + 1)]
    free = ~masks
    points = [(0.0, 0.0)]
    for t in sorted(set(maps.ravel().tolist()), reverse=True):
        pred = maps >= t
        pro = np.mean([pred[i][r].sum() / r.sum() for i, r in regions])
        points.append(((pred & free).sum() / free.sum(), pro))
    area = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if x0 >= limit:
            break
        if x1 > limit:  # cut the segment at the limit
            y1 = y0 + (y1 - y0) * (limit - x0) / (x1 - x0)
            x1 = limit
        area += (x1 - x0) * (y0 + y1) / 2
    return area / limit


def _random_case(seed, n=4, h=12, w=10, decimals=None):
    rng = np.random.default_rng(seed)
    masks = np.zeros((n, h, w), bool)
    for i in range(1, n):  # image 0 stays defect-free
        for _ in range(int(rng.integers(1, 4))):  # several regions, some touching diagonally
            y, x = rng.integers(0, h - 2), rng.integers(0, w - 2)
            masks[i, y:y + rng.integers(1, 4), x:x + rng.integers(1, 4)] = True
    maps = rng.random(masks.shape) + 0.7 * masks * rng.random()
    if decimals is not None:
        maps = np.round(maps, decimals)  # many ties
    return masks, maps


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("decimals", [None, 1, 2])
def test_aupro_matches_brute_force(seed, decimals):
    masks, maps = _random_case(seed, decimals=decimals)
    assert aupro(masks, maps) == pytest.approx(brute_aupro(masks, maps), abs=1e-6)


@pytest.mark.parametrize("limit", [0.05, 0.3, 1.0])
def test_other_limits(limit):
    masks, maps = _random_case(42, decimals=2)
    assert aupro(masks, maps, limit) == pytest.approx(brute_aupro(masks, maps, limit), abs=1e-6)


def test_eight_connectivity_and_per_image_regions():
    masks = np.zeros((2, 4, 4), bool)
    masks[0, 0, 0] = masks[0, 1, 1] = True  # diagonal neighbours: one region
    masks[1, 0, 0] = True  # same place in the next image: a separate region
    labels, n = label_regions(masks)
    assert n == 2 and labels[0, 0, 0] == labels[0, 1, 1] != labels[1, 0, 0]


def test_hand_computed_case():
    # One image, 1x4: region = pixels 0,1 (size 2); free = pixels 2,3.
    masks = np.array([[[True, True, False, False]]])
    maps = np.array([[[0.9, 0.3, 0.6, 0.1]]])
    # thresholds 0.9 -> (0, .5); 0.6 -> (.5, .5); 0.3 -> (.5, 1); 0.1 -> (1, 1)
    fpr, pro = pro_curve(masks, maps)
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_allclose(pro, [0, 0.5, 0.5, 1, 1])
    # area to 0.3: first segment vertical, then pro = .5 flat from 0 to .3 -> .15 / .3 = .5
    assert aupro(masks, maps, 0.3) == pytest.approx(0.5)
    # to 1.0: .5*.5 + .5*1 (vertical jump at .5 adds nothing) = .75
    assert aupro(masks, maps, 1.0) == pytest.approx(0.75)


def test_perfect_and_degenerate():
    masks, maps = _random_case(3)
    assert aupro(masks, masks.astype(float)) == pytest.approx(1.0)
    assert math.isnan(aupro(np.zeros((2, 3, 3), bool), np.ones((2, 3, 3))))
    with pytest.raises(DataError, match="must both be"):
        aupro(masks, maps[:, :-1])
    with pytest.raises(ValueError, match="fpr_limit"):
        aupro(masks, maps, 0.0)
