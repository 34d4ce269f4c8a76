"""Image geometry: how an image of any shape becomes the square ``S x S`` that methods work on.

Real images are large and often not square (MVTec AD: squares of 700-1024 px; MVTec LOCO AD:
800 x 1600 up to 1700 x 850 depending on the category; VisA: about 1500 x 1000). Every method and the
evaluation work on squares; a data set's ``resize`` (params.yaml ``data.datasets.<name>.resize``,
written into the index by ``synthad index``) says how a non-square image gets there:

* ``squash`` (default, as the papers and their official code: ``cv2.resize`` or ``Resize((S, S))``
  of the whole image): both sides are scaled to ``S``; the aspect ratio changes.
* ``pad``: the image is centred on a black square whose side is its longer side (letterbox), then
  scaled; the aspect ratio is kept, nothing is lost, the bars are normal pixels (mask 0).
* ``crop``: the centred square whose side is the shorter side is cut out, then scaled; the aspect
  ratio is kept and the borders of the longer side are dropped (with any defect there: the image
  keeps its label, pixel metrics see only the crop).

A square image is unchanged by every mode. Images, ground-truth masks and foreground masks go through
the same two steps (:func:`square`, then scaling), so they stay aligned; anomaly maps are produced
at the evaluation size of these squares. Images are scaled bilinearly by default (``cv2.INTER_LINEAR``,
which samples like the bilinear ``F.interpolate`` that methods use inside ``predict``), masks with
nearest neighbour.
"""

from __future__ import annotations

import cv2
import numpy as np

# The values of DatasetEntry.resize in synthad.config (kept equal by a test; config does not
# import this module so that reading params.yaml does not load OpenCV).
RESIZE_MODES = ("squash", "pad", "crop")


def square(pixels: np.ndarray, mode: str = "squash") -> np.ndarray:
    """The square that ``mode`` makes of ``pixels`` at their own resolution.

    Args:
        pixels: ``(H, W)`` or ``(H, W, C)``, any dtype.
        mode: ``squash`` (returned as is: scaling does the squashing), ``pad`` (centred on a
            zero square of side ``max(H, W)``) or ``crop`` (the centred ``min(H, W)`` square).

    Returns:
        ``pixels`` for ``squash`` or a square input, else ``(L, L)`` / ``(L, L, C)``.

    Raises:
        ValueError: ``mode`` is not one of :data:`RESIZE_MODES`.
    """
    if mode not in RESIZE_MODES:
        raise ValueError(f"resize mode {mode!r}: expected one of {', '.join(RESIZE_MODES)}")
    height, width = pixels.shape[:2]
    if mode == "squash" or height == width:
        return pixels
    if mode == "crop":
        side = min(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        return pixels[top:top + side, left:left + side]
    side = max(height, width)
    top, left = (side - height) // 2, (side - width) // 2
    padded = np.zeros((side, side, *pixels.shape[2:]), dtype=pixels.dtype)
    padded[top:top + height, left:left + width] = pixels
    return padded


def resize_image(image: np.ndarray, size: int, mode: str = "squash",
                 interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """``(H, W, C)`` -> ``(size, size, C)``: :func:`square` by ``mode``, then scaled.

    Args:
        image: Any dtype OpenCV scales (uint8 RGB in this project).
        size: Side of the output.
        mode: See :data:`RESIZE_MODES`.
        interpolation: OpenCV flag; bilinear by default, ``cv2.INTER_AREA`` averages (no aliasing
            when shrinking much, used for the in-memory pools of synthesis and sheets).
    """
    image = square(image, mode)
    if image.shape[:2] == (size, size):
        return image
    return cv2.resize(image, (size, size), interpolation=interpolation)


def resize_mask(mask: np.ndarray, size: int, mode: str = "squash") -> np.ndarray:
    """Bool ``(H, W)`` -> bool ``(size, size)``: :func:`square` by ``mode``, then nearest neighbour."""
    mask = square(mask, mode)
    if mask.shape == (size, size):
        return mask
    return cv2.resize(mask.astype(np.uint8), (size, size), interpolation=cv2.INTER_NEAREST) > 0
