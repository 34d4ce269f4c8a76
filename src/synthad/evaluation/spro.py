"""AU-sPRO, the saturated per-region overlap of MVTec LOCO AD (Bergmann et al., IJCV 2022).

Definitions as in the official LOCO evaluation code (``src/image.py`` and ``src/metrics.py`` there;
see docs/evaluation.md#mvtec-loco-ad-anomaly-kinds-and-au-spro):

* A region is one defect *instance*: one ground-truth file of a defective image (instances of
  one image may overlap; they are not split into connected components).
* ``sPRO_i(t) = min(TP_i(t) / s_i, 1)`` with ``TP_i`` the instance pixels scoring ``>= t`` and
  ``s_i`` its saturation area from ``defects_config.json``: ``int(f * area)`` for a relative
  threshold ``f``, ``min(n, area)`` for an absolute pixel count ``n``. sPRO(t) is the mean over
  every instance of the evaluated images.
* FPR(t): pixels outside every instance of their image scoring ``>= t``, over all such pixels of
  the evaluated images (defect-free images and the free part of defective ones, as the official
  ``get_fp_rates``).
* The curve is exact (every distinct score is a threshold, as our AU-PRO; the official code
  refines thresholds adaptively to a curve distance of 0.01), integrated with the trapezoid rule up
  to FPR 0.05 with linear interpolation at the limit and divided by 0.05.

Maps are compared at the evaluation resolution, so absolute thresholds (pixel counts at the
original resolution) are scaled by the ratio of the areas (of the square the index's ``resize``
mode makes, :mod:`synthad.utils.geometry`); an instance that vanishes when its mask is resized
(nearest neighbour), or is cropped away, is left out and counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthad.data.index import resize_mode, split_masks
from synthad.errors import DataError
from synthad.evaluation.aupro import area_to_limit
from synthad.utils.geometry import resize_mask, square
from synthad.utils.images import read_mask


@dataclass
class Instances:
    """Defect instances of a test split at the evaluation resolution.

    Attributes:
        masks: ``(M, H, W)`` bool, one mask per instance.
        images: ``(M,)`` int, index of each instance's image in the split.
        saturation: ``(M,)`` float saturation area in pixels at this resolution, ``> 0``.
        lost: Instances left out because their mask vanished at this resolution.
    """

    masks: np.ndarray
    images: np.ndarray
    saturation: np.ndarray
    lost: int = 0

    def subset(self, keep_images: np.ndarray) -> Instances:
        """The instances of the images flagged in ``keep_images`` ``(N,)`` bool.

        ``images`` is re-indexed so that it indexes ``maps[keep_images]``.
        """
        keep = keep_images[self.images]
        position = np.cumsum(keep_images) - 1
        return Instances(self.masks[keep], position[self.images[keep]], self.saturation[keep], self.lost)


def saturation_area(spec: str, area: int, scale: float) -> float:
    """Saturation area of one instance from its index entry.

    Args:
        spec: ``rel:<fraction>`` or ``abs:<pixels at the original resolution>``.
        area: Instance area at the evaluation resolution (pixels).
        scale: Evaluation area / original area (absolute thresholds are scaled by it).

    Returns:
        The saturation area in pixels, at least one pixel and at most ``area``.
    """
    kind, _, value = spec.partition(":")
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if kind not in ("rel", "abs") or not number > 0:
        raise DataError(f"saturation {spec!r}: expected rel:<fraction> or abs:<pixels>")
    # int() as the official get_saturation_area; a 0-pixel saturation would divide by zero there
    sat = float(int(number * area)) if kind == "rel" else min(number * scale, float(area))
    return max(sat, min(1.0, float(area)))


def load_instances(test_rows: pd.DataFrame, resolution: int) -> Instances:
    """Read every instance mask of the defective rows (``mask_path`` with ``saturation``).

    Args:
        test_rows: Test split of an index with a ``saturation`` column (``;``-joined entries
            parallel to ``mask_path``).
        resolution: Evaluation side ``R``; masks are brought to it as the images (the index's
            ``resize`` mode, nearest neighbour).

    Returns:
        :class:`Instances` in row order.
    """
    masks, images, saturation, lost = [], [], [], 0
    mode = resize_mode(test_rows)
    for i, (joined, sats) in enumerate(zip(test_rows["mask_path"], test_rows["saturation"], strict=True)):
        for path, spec in zip(split_masks(joined), split_masks(sats), strict=True):
            original = square(read_mask(path), mode)
            mask = resize_mask(original, resolution)
            if not mask.any():
                lost += 1
                continue
            scale = mask.size / original.size
            masks.append(mask)
            images.append(i)
            saturation.append(saturation_area(spec, int(mask.sum()), scale))
    empty = np.zeros((0, resolution, resolution), bool)
    return Instances(np.stack(masks) if masks else empty, np.array(images, dtype=int),
                     np.array(saturation, dtype=np.float64), lost)


def spro_curve(maps: np.ndarray, instances: Instances) -> tuple[np.ndarray, np.ndarray]:
    """The exact sPRO curve over the images of ``maps``.

    Args:
        maps: ``(N, H, W)`` anomaly maps (higher = more anomalous), finite.
        instances: Defect instances of these images (``images`` index into ``maps``).

    Returns:
        ``(fpr (K+1,), spro (K+1,))``, non-decreasing, starting at ``(0, 0)``; ``K`` is the number
        of distinct scores.

    Raises:
        DataError: Shapes differ, a score is not finite, no instance or no anomaly-free pixel.
    """
    maps = np.asarray(maps)
    if maps.ndim != 3 or instances.masks.shape[1:] != maps.shape[1:]:
        raise DataError(f"sPRO: maps {maps.shape} and instance masks {instances.masks.shape} do not match")
    if not np.isfinite(maps).all():
        raise DataError("sPRO: anomaly maps contain NaN or inf")
    union = np.zeros(maps.shape, dtype=bool)
    np.logical_or.at(union, instances.images, instances.masks)
    free = maps[~union]
    if len(instances.images) == 0 or free.size == 0:
        raise DataError("sPRO: needs at least one defect instance and one anomaly-free pixel")
    # One descending sort of every free pixel and every (instance, pixel) entry, as in AU-PRO:
    # a free pixel adds 1 / #free to the FPR, an entry its sPRO step; ties form one threshold.
    scores, weights = _instance_steps(maps, instances)
    all_scores = np.concatenate([free, scores.astype(free.dtype)])
    order = np.argsort(all_scores, kind="stable")[::-1]
    sorted_scores = all_scores[order]
    fpr = np.cumsum(order < free.size, dtype=np.float64) / free.size
    spro = np.cumsum(np.concatenate([np.zeros(free.size), weights])[order])
    keep = np.append(sorted_scores[1:] != sorted_scores[:-1], True)
    fpr, spro = np.clip(fpr[keep], 0.0, 1.0), np.clip(spro[keep], 0.0, 1.0)
    return np.concatenate(([0.0], fpr)), np.concatenate(([0.0], spro))


def _instance_steps(maps: np.ndarray, instances: Instances) -> tuple[np.ndarray, np.ndarray]:
    """Scores of every instance pixel and what each adds to the mean sPRO when it turns positive.

    The k-th highest pixel of instance i (k = 1, 2, ...) raises ``min(TP, s_i) / s_i`` by
    ``clip(s_i - (k - 1), 0, 1) / s_i``: one pixel's worth until saturation, nothing after; ties
    are harmless because a threshold always takes every pixel of a score together.
    """
    scores, weights = [], []
    n_instances = len(instances.images)
    for mask, image, sat in zip(instances.masks, instances.images, instances.saturation, strict=True):
        values = np.sort(maps[image][mask])[::-1]
        ranks = np.arange(len(values), dtype=np.float64)
        scores.append(values)
        weights.append(np.clip(sat - ranks, 0.0, 1.0) / (sat * n_instances))
    return np.concatenate(scores), np.concatenate(weights)


def auspro(maps: np.ndarray, instances: Instances, fpr_limit: float = 0.05) -> float:
    """Normalised area under the sPRO curve up to ``fpr_limit`` (MVTec LOCO's AU-sPRO).

    Args:
        maps: ``(N, H, W)`` anomaly maps.
        instances: Defect instances of these images.
        fpr_limit: Integration limit in ``(0, 1]`` (0.05 is the headline value in the literature).

    Returns:
        AU-sPRO in ``[0, 1]``; ``nan`` when there is no instance (or no anomaly-free pixel).
    """
    if not 0.0 < fpr_limit <= 1.0:
        raise ValueError(f"fpr_limit must be in (0, 1], got {fpr_limit}")
    if len(instances.images) == 0:
        return math.nan
    fpr, spro = spro_curve(maps, instances)
    return area_to_limit(fpr, spro, fpr_limit) / fpr_limit
