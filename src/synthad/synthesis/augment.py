"""DRAEM's ten texture augmenters, re-implemented with NumPy, OpenCV and Pillow.

DRAEM (official ``data_loader.py``, docs/official-code.md#draem-synthesis) applies 3 distinct
augmenters, chosen uniformly from these 10 imgaug ones, to each anomaly source before pasting it:
``GammaContrast((0.5, 2.0), per_channel=True)``, ``MultiplyAndAddToBrightness(mul=(0.8, 1.2),
add=(-30, 30))``, ``pillike.EnhanceSharpness()``, ``AddToHueAndSaturation((-50, 50), per_channel=True)``,
``Solarize(0.5, threshold=(32, 128))``, ``Posterize()``, ``Invert()``, ``pillike.Autocontrast()``,
``pillike.Equalize()``, ``Affine(rotate=(-45, 45))``. imgaug is unmaintained and not a dependency;
each function below follows the imgaug default parameters it replaces (noted per function).
All take and return RGB uint8 ``(H, W, 3)``.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from synthad.synthesis.perlin import rotate

Augmenter = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def gamma_contrast(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``GammaContrast((0.5, 2.0), per_channel=True)``: one gamma per channel."""
    gamma = rng.uniform(0.5, 2.0, 3).astype(np.float32)
    return np.clip(255.0 * (img / 255.0) ** gamma, 0, 255).astype(np.uint8)


def multiply_add_brightness(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``MultiplyAndAddToBrightness(mul=(0.8, 1.2), add=(-30, 30))``.

    imgaug picks a random colour space among YCrCb/HSV/HLS/Lab and changes its brightness channel.
    """
    space, back, ch = [
        (cv2.COLOR_RGB2YCrCb, cv2.COLOR_YCrCb2RGB, 0), (cv2.COLOR_RGB2HSV, cv2.COLOR_HSV2RGB, 2),
        (cv2.COLOR_RGB2HLS, cv2.COLOR_HLS2RGB, 1), (cv2.COLOR_RGB2Lab, cv2.COLOR_Lab2RGB, 0),
    ][int(rng.integers(4))]
    conv = cv2.cvtColor(img, space).astype(np.float32)
    conv[..., ch] = conv[..., ch] * rng.uniform(0.8, 1.2) + rng.uniform(-30, 30)
    return cv2.cvtColor(np.clip(conv, 0, 255).astype(np.uint8), back)


def sharpness(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``pillike.EnhanceSharpness()``: PIL sharpness with factor ``U(0, 2)`` (imgaug default)."""
    return np.asarray(ImageEnhance.Sharpness(Image.fromarray(img)).enhance(rng.uniform(0.0, 2.0)))


def hue_saturation(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``AddToHueAndSaturation((-50, 50), per_channel=True)``: separate hue and saturation offsets.

    imgaug's hue offsets are on a 0..255 circle; OpenCV's 8-bit hue is 0..179, hence the rescale.
    """
    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV).astype(np.int32)
    dh, ds = rng.integers(-50, 51, 2)
    hsv[..., 0] = (hsv[..., 0] + int(round(dh * 180 / 255))) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] + ds, 0, 255)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)


def solarize(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``Solarize(0.5, threshold=(32, 128))``: with p = 0.5 invert pixels above a threshold."""
    threshold = rng.uniform(32, 128)
    if rng.random() >= 0.5:
        return img
    return np.where(img >= threshold, 255 - img, img).astype(np.uint8)


def posterize(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``Posterize()``: keep the top ``randint(1, 8)`` bits of each value (imgaug default bits)."""
    bits = int(rng.integers(1, 9))
    return (img & np.uint8((0xFF << (8 - bits)) & 0xFF)).astype(np.uint8)


def invert(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``Invert()`` (p = 1): ``255 - img``."""
    return (255 - img).astype(np.uint8)


def autocontrast(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``pillike.Autocontrast()``: PIL autocontrast with cutoff ``randint(0, 20)`` percent."""
    return np.asarray(ImageOps.autocontrast(Image.fromarray(img), cutoff=int(rng.integers(0, 21))))


def equalize(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``pillike.Equalize()``: PIL histogram equalisation."""
    return np.asarray(ImageOps.equalize(Image.fromarray(img)))


def affine_rotate(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``Affine(rotate=(-45, 45))``: bilinear rotation about the centre, black corners."""
    return rotate(img, float(rng.uniform(-45, 45)))


AUGMENTERS: tuple[Augmenter, ...] = (
    gamma_contrast, multiply_add_brightness, sharpness, hue_saturation, solarize,
    posterize, invert, autocontrast, equalize, affine_rotate,
)


def augment_random(img: np.ndarray, rng: np.random.Generator, n: int = 3,
                   augmenters: tuple[Augmenter, ...] = AUGMENTERS) -> np.ndarray:
    """Apply ``n`` distinct augmenters chosen uniformly, in the drawn order (DRAEM ``randAugmenter``).

    Args:
        img: RGB uint8 ``(H, W, 3)``.
        rng: Random generator.
        n: How many augmenters (DRAEM: 3).
        augmenters: The pool (DRAEM's ten by default).

    Returns:
        RGB uint8 ``(H, W, 3)``.
    """
    for i in rng.choice(len(augmenters), n, replace=False):
        img = np.ascontiguousarray(augmenters[int(i)](img, rng))
    return img
