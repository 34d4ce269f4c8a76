"""The self-attention-based graph convolution block, SG block (Yang, Liu et al., Sec. 3.3, Eq. 2-7).

For the bottleneck feature map ``X`` (``N = H * W`` nodes of ``C`` channels):

* dense relationships (Eq. 2-3): ``W_d = softmax(f(X) g(X)^T / sqrt(d))``, ``Z = W_d h(X)``;
* sparse relationships (Eq. 4-6): ``W_p = CosSim(P, P^T)`` of 2-D sine-cosine position encodings
  ``P``; ``W_s = CosSim(f(X), g(X)^T) - W_p``; every node is linked to its top-``K`` nodes by
  ``W_s`` and aggregated by max-relative graph convolution ``v_i' = max_j (v_j - v_i)``;
* update (Eq. 7): ``X' = u([Z', V''])`` with ``u`` a 1x1 convolution.

The functions are pure so the tests can check the graph and the aggregation directly.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def sincos_position_encoding(h: int, w: int, dim: int) -> torch.Tensor:
    """2-D sine-cosine position encoding (MAE's ``get_2d_sincos_pos_embed``), row-major nodes.

    Half of the channels encode the row, half the column; each half is ``[sin(pos * omega),
    cos(pos * omega)]`` with ``omega_k = 10000^(-k / (dim / 4))``.

    Args:
        h: Grid rows.
        w: Grid columns.
        dim: Encoding width ``C_p``, a multiple of 4.

    Returns:
        ``P`` of shape ``(h * w, dim)``.
    """
    quarter = dim // 4
    omega = 1.0 / 10000 ** (torch.arange(quarter, dtype=torch.float64) / quarter)

    def encode(pos: torch.Tensor) -> torch.Tensor:
        angles = pos.double()[:, None] * omega[None]
        return torch.cat([angles.sin(), angles.cos()], dim=1)

    rows, cols = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    return torch.cat([encode(rows.reshape(-1)), encode(cols.reshape(-1))], dim=1).float()


def cosine_similarity_matrix(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``CosSim(a, b^T)``: ``a (..., N, D)``, ``b (..., M, D)`` -> ``(..., N, M)``."""
    return F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).transpose(-1, -2)


def sparse_graph(query: torch.Tensor, key: torch.Tensor, position: torch.Tensor | None,
                 k: int) -> torch.Tensor:
    """Top-``k`` neighbours of every node by ``W_s`` (Eq. 5).

    Args:
        query: ``f(X)`` ``(B, N, D)``.
        key: ``g(X)`` ``(B, N, D)``.
        position: ``P`` ``(N, C_p)``; ``None`` keeps the position similarity (Table 6, exp. 5).
        k: Neighbours per node (clipped to ``N``).

    Returns:
        Neighbour indices ``(B, N, k)`` into the node axis, most similar first.
    """
    similarity = cosine_similarity_matrix(query, key)
    if position is not None:
        similarity = similarity - cosine_similarity_matrix(position, position).to(similarity)
    return similarity.topk(min(k, similarity.shape[-1]), dim=-1).indices


def max_relative(nodes: torch.Tensor, neighbours: torch.Tensor) -> torch.Tensor:
    """Max-relative graph convolution aggregation, Eq. 6: ``v_i' = max_j (v_{n(i, j)} - v_i)``.

    Args:
        nodes: ``(B, N, C)``.
        neighbours: ``(B, N, K)`` indices into ``N``.

    Returns:
        ``(B, N, C)``.
    """
    b, n, k = neighbours.shape
    gathered = torch.gather(nodes, 1, neighbours.reshape(b, n * k, 1).expand(-1, -1, nodes.shape[-1]))
    return (gathered.reshape(b, n, k, -1) - nodes[:, :, None]).amax(dim=2)


class SGBlock(nn.Module):
    """SG block on a ``(B, C, H, W)`` map (Eq. 2-7); ``mode`` selects the Table 6 ablations.

    Args:
        channels: ``C_in = C_out``.
        top_k: ``K`` of the sparse graph.
        reduction: ``z``; query and key have ``C / z`` channels.
        pos_dim: Width of the position encoding.
        eliminate_position: Subtract ``W_p`` in Eq. 5.
        mode: ``"both"``; ``"attention"`` / ``"gcn"`` replace the missing branch by ``X`` itself
            in ``u([., .])`` (our reading of "only self-attention / only GCN"); ``"none"`` is the identity.
    """

    def __init__(self, channels: int, top_k: int = 9, reduction: int = 2, pos_dim: int = 64,
                 eliminate_position: bool = True, mode: str = "both"):
        super().__init__()
        d = max(1, channels // reduction)
        self.f, self.g = nn.Conv2d(channels, d, 1), nn.Conv2d(channels, d, 1)
        self.h = nn.Conv2d(channels, channels, 1)
        self.u = nn.Conv2d(2 * channels, channels, 1)
        self.top_k, self.pos_dim, self.eliminate, self.mode = top_k, pos_dim, eliminate_position, mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``X (B, C, H, W)`` -> ``X' (B, C, H, W)``."""
        if self.mode == "none":
            return x
        b, c, h, w = x.shape
        nodes = x.flatten(2).transpose(1, 2)  # (B, N, C)
        query, key = (m(x).flatten(2).transpose(1, 2) for m in (self.f, self.g))
        dense = x
        if self.mode in ("both", "attention"):
            attention = torch.softmax(query @ key.transpose(1, 2) / math.sqrt(query.shape[-1]), dim=-1)
            dense = (attention @ self.h(x).flatten(2).transpose(1, 2)).transpose(1, 2).reshape(b, c, h, w)
        sparse = x
        if self.mode in ("both", "gcn"):
            position = sincos_position_encoding(h, w, self.pos_dim).to(x.device) if self.eliminate else None
            neighbours = sparse_graph(query, key, position, self.top_k)
            sparse = max_relative(nodes, neighbours).transpose(1, 2).reshape(b, c, h, w)
        return self.u(torch.cat([dense, sparse], dim=1))
