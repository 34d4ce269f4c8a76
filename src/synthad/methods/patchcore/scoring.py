"""PatchCore's scores (Sec. 3.3): nearest-neighbour patch distances, Eq. 7, the smoothed map."""

from __future__ import annotations

import torch

from synthad.methods.inference import split_unless_exporting

# Elements of one (queries x bank) distance block: 2^24 floats = 64 MB whatever the bank size.
BLOCK_ELEMENTS = 1 << 24


def nearest(queries: torch.Tensor, bank: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Euclidean distance of every query to its nearest bank feature, and that feature's index.

    The search uses ``torch.cdist`` (matrix-product form, fast) in blocks of queries; the distance to
    the found neighbour is then recomputed directly, so a query equal to a bank feature gets exactly 0.

    Args:
        queries: ``(Q, D)``.
        bank: ``(M, D)``.

    Returns:
        ``distances (Q,)`` and ``indices (Q,)`` into ``bank``.
    """
    chunk = max(1, BLOCK_ELEMENTS // len(bank))
    indices = torch.cat([torch.cdist(q, bank).argmin(dim=1) for q in split_unless_exporting(queries, chunk)])
    return (queries - bank[indices]).norm(dim=1), indices


def reweighted_max(queries: torch.Tensor, distances: torch.Tensor, indices: torch.Tensor, bank: torch.Tensor,
                   neighbours: int) -> torch.Tensor:
    """The paper's Eq. 7: the maximum patch score, weighted by how isolated its bank match is.

    With ``s* = max`` patch distance, ``m_test*`` that patch, ``m*`` its nearest bank feature and
    ``N_b(m*)`` the ``b`` bank features nearest to ``m*`` (``m*`` itself included),
    ``s = (1 - exp|m_test* - m*| / sum_{m in N_b(m*)} exp|m_test* - m|) * s*``. The fraction is the
    softmax entry of ``m*`` over the ``b`` distances, computed as a softmax so large distances
    cannot overflow ``exp``. A dense neighbourhood gives ``w ~ 1 - 1/b``; a rare ``m*`` w -> 1.

    Args:
        queries: Patch features ``(B, P, D)``.
        distances: Their nearest-neighbour distances ``(B, P)``.
        indices: Their nearest bank features ``(B, P)``.
        bank: ``(M, D)``.
        neighbours: ``b`` (capped at ``M``).

    Returns:
        Image scores ``(B,)``.
    """
    batch = torch.arange(queries.shape[0])  # not len(): ONNX export keeps the batch size symbolic
    top = distances.argmax(dim=1)
    score, m_test, star = distances[batch, top], queries[batch, top], indices[batch, top]
    to_star = torch.cdist(bank[star], bank)  # (B, M)
    to_star[batch, star] = -1.0  # m* first among its neighbours, even when the bank holds duplicates
    hood = to_star.topk(min(neighbours, len(bank)), dim=1, largest=False).indices  # (B, b), m* first
    dists = (m_test[:, None] - bank[hood]).norm(dim=-1)  # (B, b)
    weight = 1 - dists.softmax(dim=1)[:, 0]
    return weight * score


def image_scores(queries: torch.Tensor, distances: torch.Tensor, indices: torch.Tensor, bank: torch.Tensor,
                 neighbours: int, reweight: bool) -> torch.Tensor:
    """Eq. 7 (:func:`reweighted_max`) when ``reweight``, else the plain maximum; shapes as there."""
    if reweight:
        return reweighted_max(queries, distances, indices, bank, neighbours)
    return distances.amax(dim=1)


def smooth(maps: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian smoothing of ``(B, 1, S, S)`` maps, truncated at 4 sigma as ``scipy.ndimage``.

    ``sigma <= 0`` returns the maps unchanged. The radius is capped at ``S - 1`` (reflect padding).
    """
    if sigma <= 0:
        return maps
    # Deferred: importing torchvision loads torch._dynamo (1.5 s or more), which every job that
    # imports the method registry would otherwise pay.
    from torchvision.transforms.v2.functional import gaussian_blur

    radius = min(int(4 * sigma + 0.5), min(maps.shape[-2:]) - 1)
    return gaussian_blur(maps, kernel_size=[2 * radius + 1] * 2, sigma=[sigma] * 2)
