"""Inference helpers every method shares: chunked prediction at the training size, image scores.

Every method scores images at its own ``image_size`` and must return maps at the input's size
(the contract). :func:`predict_resized` does the chunking and both resizes once, so a method only
writes what it computes on one batch at its own size.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from synthad.methods.base import Prediction
from synthad.methods.config_base import ScoreKernelConfig

ScoreAndMap = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize of ``(B, C, H, W)`` to ``size`` (returned as is when it already has it)."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


def split_unless_exporting(x: torch.Tensor, size: int) -> list[torch.Tensor]:
    """``x.split(size)`` along dim 0, or ``[x]`` while ``torch.onnx.export`` traces the code.

    Chunks only bound memory, they change no number (each row is computed on its own). An exported
    graph has a dynamic batch axis, and a traced split would freeze the chunk count of the example.
    """
    return [x] if torch.onnx.is_in_onnx_export() else list(x.split(size))


@torch.no_grad()
def predict_resized(images: torch.Tensor, size: int, batch_size: int, device: torch.device,
                    score_and_map: ScoreAndMap) -> Prediction:
    """Score images in chunks at ``size`` and return maps at the input's size.

    Args:
        images: ``(B, 3, H, W)`` in ``[0, 1]``, any ``H, W``.
        size: The method's side; each chunk is resized to ``(size, size)`` (bilinear).
        batch_size: Images per forward pass.
        device: Where ``score_and_map`` runs.
        score_and_map: ``x (b, 3, size, size)`` -> ``(scores (b,), maps (b, 1, size, size))``.

    Returns:
        Scores ``(B,)`` and maps ``(B, H, W)`` (bilinear back to ``H, W``), on the CPU.
    """
    h, w = images.shape[-2:]
    scores, maps = [], []
    for chunk in split_unless_exporting(images, batch_size):
        score, amap = score_and_map(resize(chunk.to(device, torch.float32), (size, size)))
        scores.append(score.cpu())
        maps.append(resize(amap, (h, w))[:, 0].cpu())
    return Prediction(scores=torch.cat(scores), maps=torch.cat(maps))


def mean_filter_max(amap: torch.Tensor, kernel: int) -> torch.Tensor:
    """DRAEM's image score: the maximum of the ``kernel`` x ``kernel`` mean-filtered map.

    Args:
        amap: ``(B, 1, H, W)``.
        kernel: Odd side of the mean filter (zero padding keeps the map's size).

    Returns:
        ``(B,)``.
    """
    return F.avg_pool2d(amap, kernel, stride=1, padding=kernel // 2).amax(dim=(1, 2, 3))


def kernel_at(side_at_256: int, image_size: int, scale: bool = True) -> int:
    """A filter side given at 256 px (the papers' resolution) for maps of ``image_size`` (odd, >= 1).

    With ``scale`` the side is ``round(side_at_256 * image_size / 256)``, bumped to the next odd
    number, so the filter covers the same fraction of the image at any resolution (a 5x5 median at
    64 px would erase defects four times larger than at 256 px); without, it is ``side_at_256``.
    """
    k = round(side_at_256 * image_size / 256) if scale else side_at_256
    return max(1, k if k % 2 else k + 1)


def score_kernel_size(config: ScoreKernelConfig) -> int:
    """Image-score mean-filter side (odd, >= 1).

    ``config.score_kernel`` is the side at 256 px (DRAEM: 21); with ``config.scale_score_kernel``
    it is scaled to ``config.image_size`` (:func:`kernel_at`).
    """
    return kernel_at(config.score_kernel, config.image_size, config.scale_score_kernel)
