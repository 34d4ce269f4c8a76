"""SLSG's objectives: GPT-Net's LSGAN + l1 + auxiliary (Eq. 8-10), SegNet's focal + l1 + auxiliary (Eq. 11).

The squared terms of Eq. 8-9 are averaged over D-Net's output patches (PatchGAN). Eq. 11's
``l1`` and auxiliary terms compare the softmax probability of the anomalous class with the mask
``M``, as the authors' code does (docs/official-code.md#slsg-training); the focal loss is
:func:`synthad.nn.focal_loss`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from synthad.nn import focal_loss


def generator_adversarial(fake_score: torch.Tensor) -> torch.Tensor:
    """Eq. 8: ``L_G = 1/2 (D(G(x_m)) - 1)^2``, averaged over patches."""
    return 0.5 * ((fake_score - 1) ** 2).mean()


def discriminator_loss(real_score: torch.Tensor, fake_score: torch.Tensor) -> torch.Tensor:
    """Eq. 9: ``L_D = 1/2 D(G(x_m))^2 + 1/2 (D(x) - 1)^2``, averaged over patches."""
    return 0.5 * (fake_score ** 2).mean() + 0.5 * ((real_score - 1) ** 2).mean()


def gptnet_loss(rec: torch.Tensor, aux: torch.Tensor, image: torch.Tensor, fake_score: torch.Tensor,
                alphas: tuple[float, float, float]) -> tuple[torch.Tensor, dict[str, float]]:
    """Eq. 10: ``L_R = a1 L_G + a2 l1(G(x_m), x) + a3 l2(aux, x)``.

    Args:
        rec: Reconstruction ``(B, 3, H, W)``.
        aux: Bottleneck reconstruction ``(B, 3, H, W)``.
        image: Original ``x`` ``(B, 3, H, W)``.
        fake_score: ``D(G(x_m))`` ``(B, 1, h, w)``.
        alphas: ``(alpha_1, alpha_2, alpha_3)``.

    Returns:
        ``(L_R, logged terms)``.
    """
    adv, l1, aux_l2 = generator_adversarial(fake_score), F.l1_loss(rec, image), F.mse_loss(aux, image)
    total = alphas[0] * adv + alphas[1] * l1 + alphas[2] * aux_l2
    return total, {"g_adv": adv.item(), "l1": l1.item(), "aux_l2": aux_l2.item()}


def segnet_loss(logits: torch.Tensor, aux_logits: torch.Tensor, mask: torch.Tensor, gamma: float,
                alphas: tuple[float, float, float]) -> tuple[torch.Tensor, dict[str, float]]:
    """Eq. 11: ``L_S = a4 focal(softmax(logits), M) + a5 l1(p, M) + a6 l1(p_aux, M)``.

    Args:
        logits: SegNet output ``(B, 2, H, W)``.
        aux_logits: Auxiliary output ``(B, 2, H, W)``.
        mask: ``M`` ``(B, 1, H, W)`` in ``{0, 1}``.
        gamma: Focal-loss ``gamma`` (4).
        alphas: ``(alpha_4, alpha_5, alpha_6)``.

    Returns:
        ``(L_S, logged terms)``.
    """
    probs = torch.softmax(logits, dim=1)
    focal = focal_loss(probs, mask, gamma=gamma)
    l1 = F.l1_loss(probs[:, 1:], mask)
    aux = F.l1_loss(torch.softmax(aux_logits, dim=1)[:, 1:], mask)
    total = alphas[0] * focal + alphas[1] * l1 + alphas[2] * aux
    return total, {"focal": focal.item(), "l1": l1.item(), "aux": aux.item()}
