"""The rigid warps of the IMM (Lv et al., Sec. 2.1, Eq. 2): ``(Tx, Ty, theta)`` <-> affine matrices.

Conventions (those of ``F.affine_grid`` with ``align_corners=False``): coordinates are normalised to
``[-1, 1]`` over the image, and ``warp(image, A)`` is the image whose pixel at ``p`` is ``image`` at
``A [p; 1]``. A parameter triple ``(tx, ty, theta)`` gives ``A = [[cos, -sin, tx], [sin, cos, ty]]``:
a rotation by ``theta`` (radians) about the centre, then a shift of ``(tx, ty)`` half-sides. On
square images (every image here is resized to ``image_size``) this is a true rigid motion.

``warp(warp(x, A), invert(A)) == x`` away from the border, which is how the anomaly map of the
aligned image is brought back to the original frame.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F


def affine_matrix(params: torch.Tensor) -> torch.Tensor:
    """``(B, 3)`` rows ``(tx, ty, theta)`` -> sampling matrices ``(B, 2, 3)`` (see the module docstring)."""
    tx, ty, theta = params.unbind(-1)
    cos, sin = torch.cos(theta), torch.sin(theta)
    return torch.stack([torch.stack([cos, -sin, tx], -1), torch.stack([sin, cos, ty], -1)], -2)


def invert(matrix: torch.Tensor) -> torch.Tensor:
    """Inverse of the affine maps ``(B, 2, 3)``: ``[A | t] -> [A^-1 | -A^-1 t]``, shape ``(B, 2, 3)``.

    ``A^-1`` is the closed-form 2 x 2 inverse (adjugate / determinant): ONNX has no matrix inverse,
    so ``torch.linalg.inv`` would keep the method from exporting (equal within float rounding).
    """
    (a, b), (c, d) = matrix[:, 0, :2].unbind(-1), matrix[:, 1, :2].unbind(-1)
    det = a * d - b * c
    linear_inv = torch.stack([torch.stack([d, -b], -1), torch.stack([-c, a], -1)], -2) / det[:, None, None]
    return torch.cat([linear_inv, -linear_inv @ matrix[:, :, 2:]], dim=2)


def warp(images: torch.Tensor, matrix: torch.Tensor, mode: str = "bilinear",
         padding: str = "border") -> torch.Tensor:
    """Resample ``images`` ``(B, C, H, W)`` with ``matrix`` ``(B, 2, 3)`` -> ``(B, C, H, W)``.

    Args:
        images: Any channels (images, masks, anomaly maps).
        matrix: Sampling matrices (output pixel ``p`` reads input ``A [p; 1]``).
        mode: ``"bilinear"`` or ``"nearest"`` (binary masks).
        padding: What pixels read from outside the input: ``"border"`` (edge value), ``"zeros"``.
    """
    grid = F.affine_grid(matrix.to(images.dtype), list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode=mode, padding_mode=padding, align_corners=False)


def random_params(n: int, rng: np.random.Generator, degrees: float, shift: float) -> torch.Tensor:
    """``n`` random rigid warps: ``theta ~ U(-degrees, degrees)``, ``tx, ty ~ U(-shift, shift)`` sides.

    Args:
        n: How many.
        rng: Random generator.
        degrees: Maximum rotation in degrees.
        shift: Maximum translation as a fraction of the side (``2 * shift`` in normalised units).

    Returns:
        ``(n, 3)`` float32 rows ``(tx, ty, theta)`` for :func:`affine_matrix`.
    """
    t = rng.uniform(-2 * shift, 2 * shift, (n, 2))
    theta = rng.uniform(-math.radians(degrees), math.radians(degrees), (n, 1))
    return torch.from_numpy(np.concatenate([t, theta], axis=1)).float()
