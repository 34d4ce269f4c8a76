"""NDP-Net's artificial defects (Luo, Yao, Yu, NDP-Net, Sec. III-B, Eq. 1).

``I_ad = I_o * (1 - I_m) + I_n * I_m``: a natural image ``I_n`` (ImageNet in the paper; here any
``natural`` source, by default the built-in photographs) pasted fully opaque into the defect-free
image ``I_o`` inside a random mask ``I_m`` "generated in a similar way to DRAEM", i.e. DRAEM's
binarised Perlin mask (:func:`~synthad.synthesis.perlin.perlin_mask`).

Training uses *pairs* of a defect-free image and its artificial defective image (Sec. III-B,
Fig. 1, Sec. III-E): every sample carries a defect, its defect-free partner is ``normal``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from synthad.synthesis.augment import augment_random
from synthad.synthesis.blend import blend
from synthad.synthesis.common import check_size, foreground_perlin_mask, to_float
from synthad.synthesis.sample import ImageSource, SyntheticSample, TrainingPool, finish, normal_sample


def ndpnet_anomaly(
    image: np.ndarray, natural: np.ndarray, rng: np.random.Generator,
    perlin_scales: tuple[int, int] = (0, 6), threshold: float = 0.5, min_area: int = 1, max_tries: int = 20,
    n_augmenters: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """NDP-Net Eq. 1 (Luo et al., Sec. III-B): ``I_ad = I_o (1 - I_m) + I_n I_m``.

    Args:
        image: ``I_o`` float32 ``(H, W, 3)`` in ``[0, 1]``.
        natural: ``I_n`` RGB uint8 ``(H, W, 3)``.
        rng: Random generator.
        perlin_scales: Perlin lattice exponents, max exclusive (DRAEM: 0, 6).
        threshold: Perlin threshold (DRAEM: 0.5).
        min_area: Redraw the mask while smaller (our choice, the paper is silent: 1, so every pair
            holds a defect; DRAEM itself allows empty masks).
        max_tries: Cap on mask draws.
        n_augmenters: DRAEM augmenters applied to ``I_n`` (Eq. 1 has none: 0).

    Returns:
        ``(I_ad (H, W, 3) float32, I_m (H, W) float32 in {0, 1})``; inside ``I_m``, ``I_ad`` equals
        ``I_n / 255`` exactly.
    """
    mask = foreground_perlin_mask(image.shape[:2], rng, perlin_scales=perlin_scales, threshold=threshold,
                                  min_area=min_area, max_tries=max_tries)
    if n_augmenters:
        natural = augment_random(natural, rng, n_augmenters)
    return blend(image, to_float(natural), mask, 1.0).astype(np.float32), mask


class NdpNetSynthesizer:
    """NDP-Net's training-sample generator (Luo et al., Sec. III-B; protocol of ``sample.py``).

    Args:
        natural: Natural-image source (``.sample(rng)`` -> RGB uint8 at the pool's size).
        anomaly_prob: Probability of an artificial defect. 1.0: the paper trains on pairs of a
            defect-free image and *its* artificial defective image (Sec. III-B, Fig. 1), so every
            sample is defective and ``normal`` is its partner.
        perlin_scales, threshold, min_area, max_tries, n_augmenters: As in :func:`ndpnet_anomaly`.
    """

    needs: ClassVar[frozenset[str]] = frozenset({"natural"})

    def __init__(self, natural: ImageSource, *, anomaly_prob: float = 1.0,
                 perlin_scales: tuple[int, int] = (0, 6), threshold: float = 0.5, min_area: int = 1,
                 max_tries: int = 20, n_augmenters: int = 0):
        self.natural, self.anomaly_prob = natural, anomaly_prob
        self.kwargs = dict(perlin_scales=perlin_scales, threshold=threshold, min_area=min_area,
                           max_tries=max_tries, n_augmenters=n_augmenters)

    def __call__(self, pool: TrainingPool, index: int, rng: np.random.Generator) -> SyntheticSample:
        """One (defect-free, artificial defective) pair from training image ``index``."""
        normal = pool.image(index)
        if rng.random() >= self.anomaly_prob:
            return normal_sample(normal)
        natural = check_size(self.natural.sample(rng), pool.size, "natural")
        augmented, mask = ndpnet_anomaly(normal, natural, rng, **self.kwargs)
        return finish(normal, augmented, mask, "natural")
