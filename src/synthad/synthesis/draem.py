"""DRAEM's synthetic anomaly generator (Zavrtanik et al., ICCV 2021, Sec. 3.3).

Official-code details: docs/official-code.md#draem-synthesis.

One training sample: with p = 0.3 the normal image is rotated by ``U(-90, 90)`` degrees; with
p = 0.5 it stays normal (empty mask); otherwise a Perlin mask ``M`` (:func:`perlin_mask`), a texture
``A`` augmented by 3 of 10 augmenters (:func:`augment_random`) and ``beta ~ U(0, 0.8)`` give
``I_a = (1 - M) I + (1 - beta) M A + beta M I`` (:func:`blend`). ``has_anomaly`` is 0 when the mask
is empty.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np

from synthad.synthesis.augment import augment_random
from synthad.synthesis.blend import blend
from synthad.synthesis.perlin import perlin_mask, rotate
from synthad.synthesis.sample import ImageSource, SyntheticSample, TrainingPool, finish


def rotate_original(image: np.ndarray, rng: np.random.Generator, p: float = 0.3,
                    angle: tuple[float, float] = (-90.0, 90.0)) -> np.ndarray:
    """DRAEM loader's augmentation of the normal image: rotate with probability ``p``.

    Args:
        image: Float ``(H, W, 3)`` in ``[0, 1]``.
        rng: Random generator.
        p: Probability of rotating (DRAEM: ``torch.rand(1) > 0.7``, i.e. 0.3).
        angle: Range of the angle in degrees.

    Returns:
        Float ``(H, W, 3)``; corners outside the rotated image are black (imgaug default).
    """
    if rng.random() >= p:
        return image
    return rotate(np.ascontiguousarray(image, dtype=np.float32), float(rng.uniform(*angle)))


def draem_anomaly(
    image: np.ndarray,
    texture: np.ndarray | Callable[[], np.ndarray],
    rng: np.random.Generator,
    anomaly_prob: float = 0.5,
    beta: tuple[float, float] = (0.0, 0.8),
    n_augmenters: int = 3,
    perlin_scales: tuple[int, int] = (0, 6),
    threshold: float = 0.5,
) -> tuple[np.ndarray, np.ndarray, float]:
    """One DRAEM anomaly sample.

    Args:
        image: Normal image, float32 ``(H, W, 3)`` in ``[0, 1]``.
        texture: Anomaly source, RGB uint8 ``(H, W, 3)`` (same size as ``image``), or a callable
            returning one (called only when an anomaly is drawn, so normal samples load nothing).
        rng: Random generator.
        anomaly_prob: Probability that the sample gets an anomaly (DRAEM: 0.5).
        beta: Range of ``beta``; the source's opacity is ``1 - beta`` (DRAEM: ``U(0, 0.8)``).
        n_augmenters: Augmenters applied to the texture (DRAEM: 3 distinct of 10).
        perlin_scales: ``(min, max)`` exponents of the Perlin lattice (max exclusive).
        threshold: Perlin binarisation threshold.

    Returns:
        ``(augmented (H, W, 3) float32, mask (H, W) float32 in {0, 1}, has_anomaly 0.0 or 1.0)``.
    """
    h, w = image.shape[:2]
    if rng.random() >= anomaly_prob:
        return image.astype(np.float32), np.zeros((h, w), np.float32), 0.0
    mask = perlin_mask((h, w), rng, perlin_scales[0], perlin_scales[1], threshold)
    texture = texture() if callable(texture) else texture
    source = augment_random(texture, rng, n_augmenters).astype(np.float32) / 255.0
    opacity = 1.0 - rng.uniform(*beta)
    augmented = blend(image, source, mask, opacity).astype(np.float32)
    return augmented, mask, float(mask.any())


class DraemSynthesizer:
    """DRAEM's training-sample generator (the :mod:`synthad.synthesis.sample` synthesizer protocol).

    Args:
        textures: Anomaly-source images (a texture bank: DTD or the built-in set), at the pool's size.
        rotate_prob: Probability of rotating the normal image first (DRAEM: 0.3).
        **kwargs: Forwarded to :func:`draem_anomaly`.
    """

    needs: ClassVar[frozenset[str]] = frozenset({"textures"})

    def __init__(self, textures: ImageSource, rotate_prob: float = 0.3, **kwargs):
        self.textures, self.rotate_prob, self.kwargs = textures, rotate_prob, kwargs

    def __call__(self, pool: TrainingPool, index: int, rng: np.random.Generator) -> SyntheticSample:
        """One training sample from training image ``index``.

        ``normal`` of the result is the (possibly rotated) image the reconstruction is trained towards.
        """
        normal = rotate_original(pool.image(index), rng, self.rotate_prob)
        augmented, mask, _ = draem_anomaly(normal, lambda: self.textures.sample(rng), rng, **self.kwargs)
        return finish(normal, augmented, mask, "texture")
