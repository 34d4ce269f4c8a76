"""DMP's foreground-constrained same-data anomalies (Peng et al. 2024, Sensors, Sec. 3.1).

The anomaly source ``A`` is a defect-free training image "randomly extracted from the normal images
in the same dataset" (the paper's stage 1; its ablation swaps DTD for "the MVTec anomaly detection
dataset"), i.e. of any category of the data set: pass those images as ``source_pool``. Without it,
another image of the target's own category is used, which on aligned objects pastes nearly the same
content (faint anomalies). The mask is ``M2 = A_M * P_M * I_M`` (Eq. 1: source foreground, binarised
Perlin mask, target foreground), and the anomaly image is Eq. 2::

    I_a = beta * (A * M2) + (1 - beta) * (I * M2) + I * (1 - M2),   beta ~ U[0, 0.8)

Note that ``beta`` weighs the *source* here, unlike DRAEM where the source's opacity is
``1 - beta``. The Perlin recipe is DRAEM's (the paper builds on DRAEM; docs/official-code.md#dmp).
Test images are never sources: the pool holds training images only.

The paper's Table 4 ablation draws the source from DTD instead ("Abnormal Appearance: DTD"):
``texture_source`` (a textures bank) does that, with the source foreground ``A_M`` all ones.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from synthad.synthesis.blend import blend
from synthad.synthesis.common import check_size, foreground_perlin_mask, rotate_with_foreground, to_float
from synthad.synthesis.sample import ImageSource, SyntheticSample, TrainingPool, finish, normal_sample


def dmp_mask(
    image_fg: np.ndarray, source_fg: np.ndarray, rng: np.random.Generator,
    perlin_scales: tuple[int, int] = (0, 6), threshold: float = 0.5,
) -> np.ndarray:
    """DMP Eq. 1: ``M2 = A_M * P_M * I_M`` (Peng et al. 2024, Sec. 3.1, stage 2).

    Args:
        image_fg: Target foreground ``I_M`` ``(H, W)`` in ``{0, 1}``.
        source_fg: Source foreground ``A_M`` ``(H, W)`` in ``{0, 1}``.
        rng: Random generator.
        perlin_scales: Perlin lattice exponents ``(min, max)``, max exclusive (DRAEM: 0, 6).
        threshold: Perlin binarisation threshold giving ``P_M`` (DRAEM: 0.5).

    Returns:
        ``M2``, float32 ``(H, W)`` in ``{0, 1}``; may be empty.
    """
    return foreground_perlin_mask(image_fg.shape, rng, source_fg, image_fg,
                                  perlin_scales=perlin_scales, threshold=threshold)


def dmp_blend(image: np.ndarray, source: np.ndarray, mask: np.ndarray, beta: float) -> np.ndarray:
    """DMP Eq. 2: ``I_a = beta A M2 + (1 - beta) I M2 + I (1 - M2)`` (Peng et al. 2024, Sec. 3.1).

    Args:
        image: Target ``I`` float32 ``(H, W, 3)`` in ``[0, 1]``.
        source: Source ``A`` float32 ``(H, W, 3)`` in ``[0, 1]``.
        mask: ``M2`` ``(H, W)``.
        beta: Weight of the *source* in the mask (paper: ``U[0, 0.8)``).

    Returns:
        ``I_a`` float32 ``(H, W, 3)``.
    """
    return blend(image, source, mask, opacity=beta).astype(np.float32)


class DmpSynthesizer:
    """DMP's training-sample generator (Peng et al. 2024, Sec. 3.1; synthesizer protocol of ``sample.py``).

    Args:
        anomaly_prob: Probability of an anomaly. The paper is silent; DMP is built on DRAEM, so
            DRAEM's 0.5.
        beta: Range of ``beta``, the source's weight (Eq. 2: ``[0, 0.8)``).
        perlin_scales: Perlin lattice exponents (DRAEM: ``2**randint(0, 6)``).
        threshold: Perlin threshold (DRAEM: 0.5).
        rotate_prob: Probability of rotating the target (with its foreground) by ``U(-90, 90)``
            degrees first. The paper "used data augmentation via image rotation" (Sec. 4.1) without
            details; DRAEM's p = 0.3. The source is not rotated.
        source_pool: Training images (with foregrounds) of every category of the data set, at the
            pool's size; ``None`` draws the source from the target's own pool.
        texture_source: Texture images at the pool's size (the DTD ablation of Table 4); the source
            foreground is then the whole image. Exclusive with ``source_pool``. (Not named
            ``textures``: the synthesizer registry passes every bank whose kind matches a keyword,
            which would silently switch the contact sheets to this ablation.)

    Raises:
        ValueError: Both ``source_pool`` and ``texture_source`` were given.
    """

    needs: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, *, anomaly_prob: float = 0.5, beta: tuple[float, float] = (0.0, 0.8),
                 perlin_scales: tuple[int, int] = (0, 6), threshold: float = 0.5, rotate_prob: float = 0.3,
                 source_pool: TrainingPool | None = None, texture_source: ImageSource | None = None):
        if source_pool is not None and texture_source is not None:
            raise ValueError("DmpSynthesizer: give source_pool (same data set) or texture_source (DTD),"
                             " not both")
        self.anomaly_prob, self.beta, self.source_pool = anomaly_prob, beta, source_pool
        self.texture_source = texture_source
        self.perlin_scales, self.threshold, self.rotate_prob = perlin_scales, threshold, rotate_prob

    def __call__(self, pool: TrainingPool, index: int, rng: np.random.Generator) -> SyntheticSample:
        """One sample from training image ``index``.

        The source comes from ``texture_source`` or ``source_pool`` when given, else it is
        ``pool.other(index, rng)``.
        """
        normal, image_fg = rotate_with_foreground(pool.image(index), pool.foreground(index), rng,
                                                  self.rotate_prob)
        if rng.random() >= self.anomaly_prob:
            return normal_sample(normal)
        source, source_fg, kind = self._source(pool, index, rng)
        mask = dmp_mask(image_fg, source_fg, rng, self.perlin_scales, self.threshold)
        beta = float(rng.uniform(*self.beta))
        return finish(normal, dmp_blend(normal, source, mask, beta), mask, kind)

    def _source(self, pool: TrainingPool, index: int, rng: np.random.Generator,
                ) -> tuple[np.ndarray, np.ndarray, str]:
        """``(A (H, W, 3) float32, A_M (H, W) float32, sample kind)`` for target ``index``."""
        if self.texture_source is not None:
            texture = check_size(np.asarray(self.texture_source.sample(rng)), pool.size, "DMP texture")
            return to_float(texture), np.ones(pool.size, np.float32), "texture"
        sources, j = (pool, pool.other(index, rng)) if self.source_pool is None else (
            self.source_pool, int(rng.integers(len(self.source_pool))))
        return sources.image(j), sources.foreground(j), "same_data"
