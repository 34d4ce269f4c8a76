"""Anomaly-aware Feature Selection (AFS, Zhang et al. Sec. 3.2 Eq. 4; official ``models/afs``) and ablations.

AFS scores every channel ``c`` of a backbone layer by how well its squared residual between the
features of a synthetic anomalous image and of its clean original, min-max normalised over the
batch, matches the anomaly mask down-sampled to the layer's resolution::

    score_c = sum over batches of mean_{b,h,w} (norm(r_c) - mask)^2,   r = (f(anomalous) - f(clean))^2

and keeps the ``k`` channels with the *lowest* score. The ablations of the paper's Table 5a replace
it by a random subset (RDR) or an untrained random linear projection (RLPR).
:class:`ChannelSelector` applies whichever was chosen and carries it in the state dict.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

Selection = Literal["afs", "rdr", "rlpr"]

AFS_EPS = 1e-4
"""Added to ``max - min`` in the per-channel min-max normalisation (the official value)."""


def afs_scores(anomalous: torch.Tensor, clean: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """AFS error of every channel on one batch (Eq. 4; lower = more anomaly-aware).

    Args:
        anomalous: Features of the anomalous images ``(B, C, h, w)``.
        clean: Features of their clean originals ``(B, C, h, w)``.
        mask: Anomaly masks ``(B, 1, H, W)`` in ``{0, 1}`` at image resolution.

    Returns:
        ``(C,)`` mean squared difference between each channel's min-max normalised residual and the
        nearest-down-sampled mask. The normalisation is the official ``(r - min) / (max - min + 1e-4)``,
        so a constant channel normalises to 0 (its score is the mask's area fraction); a NaN score
        (NaN features) becomes the largest finite one, as the official "NaN -> max".
    """
    r = (anomalous - clean).pow(2).transpose(0, 1).flatten(1)  # (C, B*h*w)
    lo, hi = r.amin(dim=1, keepdim=True), r.amax(dim=1, keepdim=True)
    r = (r - lo) / (hi - lo + AFS_EPS)
    m = F.interpolate(mask.float(), size=anomalous.shape[-2:], mode="nearest").transpose(0, 1).flatten(1)
    score = (r - m).pow(2).mean(dim=1)
    nan = torch.isnan(score)
    if nan.any():
        score[nan] = score[~nan].max() if (~nan).any() else 0.0
    return score


def lowest(scores: torch.Tensor, k: int) -> torch.Tensor:
    """Indices ``(k,)`` of the ``k`` smallest ``scores``, sorted ascending by index."""
    return torch.topk(scores, k, largest=False).indices.sort().values


class ChannelSelector(nn.Module):
    """Reduces a layer's ``(B, C, h, w)`` features to ``(B, k, h, w)`` (AFS, RDR or RLPR).

    The index (AFS, RDR) or projection matrix (RLPR) is a buffer, so it is saved with the weights and
    a fresh instance can load it; until :meth:`set_index` / :meth:`init_random` it selects the first
    ``k`` channels.

    Args:
        channels: ``C`` of the layer.
        k: Channels kept.
        kind: ``"afs"``, ``"rdr"`` (random subset) or ``"rlpr"`` (random linear projection).
    """

    def __init__(self, channels: int, k: int, kind: Selection = "afs"):
        super().__init__()
        if not 0 < k <= channels:
            raise ValueError(f"cannot keep {k} of {channels} channels")
        self.kind, self.channels, self.k = kind, channels, k
        self.register_buffer("index", torch.arange(k))
        self.register_buffer("projection", torch.zeros(k, channels) if kind == "rlpr" else torch.zeros(0))

    def set_index(self, index: torch.Tensor) -> None:
        """Use channels ``index`` ``(k,)`` (from AFS)."""
        self.index.copy_(index.to(self.index))

    def init_random(self, generator: torch.Generator) -> None:
        """RDR: a random sorted subset; RLPR: a Gaussian ``(k, C)`` projection scaled by ``1/sqrt(C)``."""
        if self.kind == "rlpr":
            weights = torch.randn(self.k, self.channels, generator=generator)
            self.projection.copy_(weights / self.channels ** 0.5)
        else:
            self.index.copy_(torch.randperm(self.channels, generator=generator)[: self.k].sort().values)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """``(B, C, h, w)`` -> ``(B, k, h, w)``."""
        if self.kind == "rlpr":
            return torch.einsum("kc,bchw->bkhw", self.projection, features)
        return features.index_select(1, self.index)
