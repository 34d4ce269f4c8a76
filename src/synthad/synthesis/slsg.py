"""SLSG's structural and logical anomaly simulation (Yang, Liu et al., SLSG, Sec. 3.2, Eq. 1).

The mask ``M`` is a binarised Perlin mask times the binarised target foreground ("foreground
enhancement"); the noise source ``I_N`` gets random brightness/contrast changes and is blended with
transparency ``delta`` (Eq. 1)::

    I_A = (1 - M) * I + M * (delta * I_N + (1 - delta) * I)

Two equally likely branches (Sec. 3.2 and Sec. 4, "the same probability"):

* structural: ``I_N`` is a texture (DTD) or a randomly permuted copy of ``I`` itself;
* logical: ``I_N`` is another training image (never ``I``), randomly rotated, with larger, more
  concentrated masks.

Numbers the paper leaves out come from the official code (docs/official-code.md#slsg-synthesis,
opacity = 1 - beta):
Perlin ``2**randint(0, 4)`` / threshold 0.5 and ``delta`` = 0.25 w.p. 0.25 else ``U(0.1, 1.0)`` for
textures; ``2**randint(0, 3)`` / 0.4 and ``delta ~ U(0.75, 1.0)`` for same-data sources (the code's
"scar" branch; used here for permuted and logical sources); masks redrawn until >= 49 px.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from synthad.synthesis.augment import augment_random, gamma_contrast, multiply_add_brightness
from synthad.synthesis.blend import blend
from synthad.synthesis.common import check_size, choose, foreground_perlin_mask, to_float
from synthad.synthesis.perlin import rotate
from synthad.synthesis.sample import ImageSource, SyntheticSample, TrainingPool, finish

# "random adjustments of brightness and contrast" (Sec. 3.2): DRAEM's brightness and contrast augmenters.
JITTER = (multiply_add_brightness, gamma_contrast)


def permute_patches(image: np.ndarray, rng: np.random.Generator,
                    grid: tuple[int, int] = (2, 8)) -> np.ndarray:
    """SLSG's "randomly permuting the normal image" (Sec. 3.2); the permutation is our choice.

    The image is cut into a ``g x g`` grid of equal cells (``g ~ randint(grid[0], grid[1])``,
    inclusive) and the cells are shuffled (never by the identity); a remainder strip at the
    bottom/right stays in place.

    Args:
        image: ``(H, W, C)`` array, any dtype.
        rng: Random generator.
        grid: Inclusive range of the number of cells per side.

    Returns:
        Array of the same shape and dtype.
    """
    g = int(rng.integers(grid[0], grid[1] + 1))
    ch, cw = image.shape[0] // g, image.shape[1] // g
    cells = image[:g * ch, :g * cw].reshape(g, ch, g, cw, -1).swapaxes(1, 2).reshape(g * g, ch, cw, -1)
    order = rng.permutation(g * g)
    if (order == np.arange(g * g)).all():  # the identity (1 in 24 for 2 x 2) would paste nothing
        order = np.roll(order, 1)
    shuffled = cells[order].reshape(g, g, ch, cw, -1).swapaxes(1, 2)
    out = image.copy()
    out[:g * ch, :g * cw] = shuffled.reshape(g * ch, g * cw, *image.shape[2:])
    return out


def slsg_anomaly(
    image: np.ndarray, source: np.ndarray, rng: np.random.Generator, foreground: np.ndarray | None = None,
    delta: float = 1.0, perlin_scales: tuple[int, int] = (0, 4), threshold: float = 0.5,
    min_area: int = 49, max_tries: int = 20, jitter: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """SLSG Eq. 1 with the foreground-enhanced Perlin mask (Yang et al., Sec. 3.2).

    Args:
        image: Normal ``I`` float32 ``(H, W, 3)`` in ``[0, 1]``.
        source: Noise source ``I_N`` RGB uint8 ``(H, W, 3)``.
        rng: Random generator.
        foreground: Target foreground ``(H, W)`` in ``{0, 1}``; ``None`` disables foreground enhancement.
        delta: Transparency ``delta``, the source's weight inside ``M``.
        perlin_scales: Perlin lattice exponents, max exclusive.
        threshold: Perlin threshold.
        min_area: Redraw the (foreground-restricted) mask while smaller (code: 49 px).
        max_tries: Cap on mask draws (ours; the code loops without a cap).
        jitter: Apply random brightness and contrast (:data:`JITTER`) to ``I_N``.

    Returns:
        ``(I_A (H, W, 3) float32, M (H, W) float32 in {0, 1})``.
    """
    mask = foreground_perlin_mask(image.shape[:2], rng, foreground, perlin_scales=perlin_scales,
                                  threshold=threshold, min_area=min_area, max_tries=max_tries)
    if jitter:
        source = augment_random(source, rng, len(JITTER), JITTER)
    return blend(image, to_float(source), mask, delta).astype(np.float32), mask


def texture_delta(rng: np.random.Generator, fixed: float = 0.25, fixed_prob: float = 0.25,
                  uniform: tuple[float, float] = (0.1, 1.0)) -> float:
    """``delta`` for texture sources (SLSG code: beta 0.75 w.p. 0.25 else U(0, 0.9)).

    See docs/official-code.md#slsg-synthesis.


    Returns:
        ``fixed`` with probability ``fixed_prob``, else ``U(*uniform)``.
    """
    return fixed if rng.random() < fixed_prob else float(rng.uniform(*uniform))


class SlsgSynthesizer:
    """SLSG's anomaly simulation (Yang et al., Sec. 3.2; protocol of ``sample.py``).

    SLSG batches pair 4 normal with 4 simulated images (Sec. 4), so every call makes an anomaly;
    the method draws its normal half itself. Only a mask that stays below ``min_area`` after
    ``max_tries`` (e.g. a tiny foreground) gives a normal sample.

    Args:
        textures: Texture source (DTD in the paper), RGB uint8 at the pool's size.
        logical_prob: Probability of the logical branch (paper: same as structural, 0.5).
        texture_prob: Within the structural branch, probability of a texture rather than a
            permuted copy of ``I`` (our choice, the paper is silent: 0.5).
        foreground: Foreground enhancement on (paper: on; its ablation turns it off).
        texture_scales, texture_threshold: Perlin settings for textures (code: (0, 4), 0.5).
        same_data_scales, same_data_threshold: For permuted and logical sources (code: (0, 3), 0.4).
        texture_delta_fixed, texture_delta_fixed_prob, texture_delta_range: See :func:`texture_delta`.
        same_data_delta: ``delta`` range for permuted and logical sources (code: U(0.75, 1.0)).
        logical_rotation: Angle range of the logical source's rotation (our choice: DRAEM's
            (-90, 90); the paper says "random rotation").
        grid: Cells per side for :func:`permute_patches` (our choice).
        min_area, max_tries, jitter: See :func:`slsg_anomaly`.
    """

    needs: ClassVar[frozenset[str]] = frozenset({"textures"})

    def __init__(self, textures: ImageSource, *, logical_prob: float = 0.5, texture_prob: float = 0.5,
                 foreground: bool = True, texture_scales: tuple[int, int] = (0, 4),
                 texture_threshold: float = 0.5,
                 same_data_scales: tuple[int, int] = (0, 3), same_data_threshold: float = 0.4,
                 texture_delta_fixed: float = 0.25, texture_delta_fixed_prob: float = 0.25,
                 texture_delta_range: tuple[float, float] = (0.1, 1.0),
                 same_data_delta: tuple[float, float] = (0.75, 1.0),
                 logical_rotation: tuple[float, float] = (-90.0, 90.0), grid: tuple[int, int] = (2, 8),
                 min_area: int = 49, max_tries: int = 20, jitter: bool = True):
        self.textures, self.foreground, self.grid = textures, foreground, grid
        self.weights = {"logical": logical_prob, "texture": (1 - logical_prob) * texture_prob,
                        "permuted": (1 - logical_prob) * (1 - texture_prob)}
        self.texture = (texture_scales, texture_threshold)
        self.same_data = (same_data_scales, same_data_threshold)
        self.texture_delta = (texture_delta_fixed, texture_delta_fixed_prob, texture_delta_range)
        self.same_data_delta, self.logical_rotation = same_data_delta, logical_rotation
        self.common = dict(min_area=min_area, max_tries=max_tries, jitter=jitter)

    def _source(self, kind: str, pool: TrainingPool, index: int, rng: np.random.Generator) -> np.ndarray:
        """The noise source ``I_N`` of a branch, RGB uint8 ``(H, W, 3)``."""
        if kind == "texture":
            return check_size(self.textures.sample(rng), pool.size, "texture")
        if kind == "permuted":
            return permute_patches(pool.images[index], rng, self.grid)
        # Logical: another training image, randomly rotated (zero corners, as imgaug's Affine).
        return rotate(pool.images[pool.other(index, rng)], float(rng.uniform(*self.logical_rotation)))

    def __call__(self, pool: TrainingPool, index: int, rng: np.random.Generator) -> SyntheticSample:
        """One simulated anomaly from training image ``index``; ``kind`` is the branch."""
        normal = pool.image(index)
        kind = choose(rng, self.weights)
        source = self._source(kind, pool, index, rng)
        if kind == "texture":
            (scales, threshold), delta = self.texture, texture_delta(rng, *self.texture_delta)
        else:
            (scales, threshold), delta = self.same_data, float(rng.uniform(*self.same_data_delta))
        fg = pool.foreground(index) if self.foreground else None
        image, mask = slsg_anomaly(normal, source, rng, fg, delta, scales, threshold, **self.common)
        return finish(normal, image, mask, kind)
