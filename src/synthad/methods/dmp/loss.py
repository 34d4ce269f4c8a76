"""DMP's training loss (Peng et al. 2024, Sec. 3.2-3.3, Eqs. 3-9).

::

    L_vision = lambda1 * L_SSIM(I, I_r) + L_2(I, I_r)                 (Eq. 5; Eqs. 3, 4)
    L_rec    = lambda2 * L_vision + lambda3 * L_deep(z, z_hat)          (Eq. 6), L_deep = L1
    L_seg    = Focal(softmax(logits), M2)                               (Eq. 7)
    L_total  = L_rec + L_seg                                            (Eq. 9)

with ``lambda1 = 1, lambda2 = 0.8, lambda3 = 0.2`` (Sec. 4.1). SSIM (11x11 Gaussian, sigma 1.5) and
the focal loss (gamma 2 on softmax probabilities) are the shared DRAEM variants
(docs/official-code.md#draem-losses).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from synthad.nn import FocalLoss, SSIMLoss


class DmpLoss(nn.Module):
    """``L_total`` of Eq. 9; ``forward`` returns the total and the detached terms for logging.

    Args:
        lambda1: Weight of SSIM inside ``L_vision`` (1).
        lambda2: Weight of ``L_vision`` (0.8).
        lambda3: Weight of the deep-feature L1 loss (0.2).
        gamma: Focal-loss focusing parameter (2, as DRAEM).
    """

    def __init__(self, lambda1: float = 1.0, lambda2: float = 0.8, lambda3: float = 0.2, gamma: float = 2.0):
        super().__init__()
        self.lambda1, self.lambda2, self.lambda3 = lambda1, lambda2, lambda3
        self.ssim = SSIMLoss(window_size=11, sigma=1.5, data_range=1.0)
        self.focal = FocalLoss(gamma=gamma, smooth=1e-5)

    def forward(self, rec: torch.Tensor, target: torch.Tensor, logits: torch.Tensor, mask: torch.Tensor,
                z: torch.Tensor | None = None, z_hat: torch.Tensor | None = None,
                correction: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, float]]:
        """Compute ``L_total``.

        Args:
            rec: Reconstruction ``I_r`` ``(B, 3, H, W)``.
            target: Anomaly-free image ``I`` ``(B, 3, H, W)``.
            logits: Defect-prediction logits ``(B, 2, H, W)``.
            mask: ``M2`` ``(B, 1, H, W)`` in ``{0, 1}``.
            z: Deep features of ``I`` ``(B, C, h, w)``; ``None`` (with ``z_hat``) drops ``L_deep``.
            z_hat: Deep features of ``I_r``, same shape as ``z``.
            correction: Only when the extractor is trained by gradient (Table 4, row 8): an L1 term
                pulling its features towards the autoencoder encoder's, added to ``L_deep`` (Sec. 4.4.3).

        Returns:
            ``(total, {"l2", "ssim", "vision", "deep", "rec", "focal"})``.
        """
        l2 = F.mse_loss(rec, target)
        ssim = self.ssim(rec, target)
        vision = self.lambda1 * ssim + l2
        deep = F.l1_loss(z_hat, z) if z is not None and z_hat is not None else rec.new_zeros(())
        if correction is not None:
            deep = deep + correction
        rec_loss = self.lambda2 * vision + self.lambda3 * deep
        focal = self.focal(torch.softmax(logits, dim=1), mask)
        total = rec_loss + focal
        terms = {"l2": l2, "ssim": ssim, "vision": vision, "deep": deep, "rec": rec_loss, "focal": focal}
        return total, {k: float(v.detach()) for k, v in terms.items()}
