"""RealNet's training samples from SDAS images (Zhang et al., CVPR 2024, Sec. 3.1 Eq. 3).

Official-code details: docs/official-code.md#realnet-training-samples.

RealNet pastes a random *whole* SDAS (SIA) image of the category into a normal image inside
``M = Perlin mask x target foreground`` (DRAEM's Perlin recipe), with opacity ``o ~ U(0.5, 1.0)``::

    out = (1 - M) I + o M A + (1 - o) M I

Anomaly types are drawn per sample, ``{normal: 0.5, sdas: 0.5}`` in the official configuration (the
paper's appendix: "an equal ratio between normal images and synthetic anomalous images");
DTD textures (opacity ``U(0.2, 1.0)``, 3 DRAEM augmenters) are an optional third type. The mask may
come out empty, and such a sample is then supervised as normal (as in the official code).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from synthad.synthesis.augment import augment_random
from synthad.synthesis.blend import blend
from synthad.synthesis.common import check_size, choose, foreground_perlin_mask, to_float
from synthad.synthesis.sample import ImageSource, SyntheticSample, TrainingPool, finish, normal_sample


def realnet_anomaly(
    image: np.ndarray, source: np.ndarray, rng: np.random.Generator, foreground: np.ndarray | None = None,
    opacity: tuple[float, float] = (0.5, 1.0), n_augmenters: int = 0,
    perlin_scales: tuple[int, int] = (0, 6), threshold: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """RealNet's image blending, Eq. 3 (Zhang et al., CVPR 2024, Sec. 3.1 and App. A).

    Args:
        image: Normal ``I`` float32 ``(H, W, 3)`` in ``[0, 1]``.
        source: Anomaly source ``A`` RGB uint8 ``(H, W, 3)`` (an SDAS image, or a DTD texture).
        rng: Random generator.
        foreground: Target foreground ``(H, W)`` in ``{0, 1}``; ``None``: whole image.
        opacity: Range of ``o`` (SDAS: ``U(0.5, 1.0)``; DTD: ``U(0.2, 1.0)``).
        n_augmenters: DRAEM augmenters applied to the source (SDAS: 0; DTD: 3).
        perlin_scales: Perlin lattice exponents, max exclusive (DRAEM: 0, 6).
        threshold: Perlin threshold (DRAEM: 0.5).

    Returns:
        ``(out (H, W, 3) float32, M (H, W) float32 in {0, 1})``; ``M`` may be empty.
    """
    mask = foreground_perlin_mask(image.shape[:2], rng, foreground, perlin_scales=perlin_scales,
                                  threshold=threshold)
    if n_augmenters:
        source = augment_random(source, rng, n_augmenters)
    return blend(image, to_float(source), mask, float(rng.uniform(*opacity))).astype(np.float32), mask


class RealNetSynthesizer:
    """RealNet's training-sample generator (docs/official-code.md#realnet-training-samples).

    Args:
        sdas: SDAS/SIA images of the category, RGB uint8 at the pool's size.
        textures: DTD-like textures; needed only when ``dtd_prob > 0`` (off by default, so not in
            :attr:`needs`).
        normal_prob, sdas_prob, dtd_prob: Weights of the anomaly types (code: 0.5, 0.5, 0).
        sdas_opacity, dtd_opacity: Opacity ranges (code: (0.5, 1.0) and (0.2, 1.0)).
        dtd_augmenters: DRAEM augmenters on DTD sources (code: 3).
        foreground: Restrict masks to the target foreground (code: yes).
        perlin_scales, threshold: DRAEM's Perlin recipe (code: (0, 6), 0.5).

    Raises:
        ValueError: ``dtd_prob > 0`` without ``textures``.
    """

    needs: ClassVar[frozenset[str]] = frozenset({"sdas"})

    def __init__(self, sdas: ImageSource, textures: ImageSource | None = None, *,
                 normal_prob: float = 0.5, sdas_prob: float = 0.5, dtd_prob: float = 0.0,
                 sdas_opacity: tuple[float, float] = (0.5, 1.0),
                 dtd_opacity: tuple[float, float] = (0.2, 1.0), dtd_augmenters: int = 3,
                 foreground: bool = True, perlin_scales: tuple[int, int] = (0, 6), threshold: float = 0.5):
        if dtd_prob > 0 and textures is None:
            raise ValueError("RealNetSynthesizer: dtd_prob > 0 needs a textures source")
        self.sources = {"sdas": sdas, "dtd": textures}
        self.weights = {"normal": normal_prob, "sdas": sdas_prob, "dtd": dtd_prob}
        self.blend_args = {"sdas": (sdas_opacity, 0), "dtd": (dtd_opacity, dtd_augmenters)}
        self.foreground, self.perlin = foreground, dict(perlin_scales=perlin_scales, threshold=threshold)

    def __call__(self, pool: TrainingPool, index: int, rng: np.random.Generator) -> SyntheticSample:
        """One sample from training image ``index``; ``kind`` is ``"normal"``, ``"sdas"`` or ``"texture"``."""
        normal = pool.image(index)
        kind = choose(rng, self.weights)
        if kind == "normal":
            return normal_sample(normal)
        source = check_size(self.sources[kind].sample(rng), pool.size, kind)
        fg = pool.foreground(index) if self.foreground else None
        opacity, n_aug = self.blend_args[kind]
        image, mask = realnet_anomaly(normal, source, rng, fg, opacity, n_aug, **self.perlin)
        return finish(normal, image, mask, "texture" if kind == "dtd" else "sdas")
