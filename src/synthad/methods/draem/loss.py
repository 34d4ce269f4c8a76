"""DRAEM's training loss: ``L2(rec, I) + SSIM(rec, I) + Focal(softmax(seg), M)``.

Official-code details: docs/official-code.md#draem-losses.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from synthad.nn import FocalLoss, SSIMLoss


class DraemLoss(nn.Module):
    """Sum of the three DRAEM terms, all with weight 1.

    ``forward`` returns the total and a dict of the detached terms for logging.
    """

    def __init__(self):
        super().__init__()
        self.ssim = SSIMLoss(window_size=11, sigma=1.5, data_range=1.0)
        self.focal = FocalLoss(gamma=2.0, smooth=1e-5)

    def forward(self, rec: torch.Tensor, target: torch.Tensor, logits: torch.Tensor,
                mask: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        """Compute the loss.

        Args:
            rec: Reconstruction ``(B, 3, H, W)``.
            target: Anomaly-free image ``(B, 3, H, W)``.
            logits: Segmentation logits ``(B, 2, H, W)``.
            mask: Anomaly mask ``(B, 1, H, W)`` in ``{0, 1}``.

        Returns:
            ``(total, {"l2": ..., "ssim": ..., "focal": ...})``.
        """
        l2 = F.mse_loss(rec, target)
        ssim = self.ssim(rec, target)
        focal = self.focal(torch.softmax(logits, dim=1), mask)
        total = l2 + ssim + focal
        return total, {"l2": l2.item(), "ssim": ssim.item(), "focal": focal.item()}
