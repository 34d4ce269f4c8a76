"""Greedy coreset subsampling of the memory bank (PatchCore Sec. 3.2, Algorithm 1).

The k-center greedy selection adds, at every step, the feature farthest from the features
selected so far. Distances are computed on a random Gaussian projection to a few dimensions
(Johnson-Lindenstrauss), which keeps them approximately and makes each step cheap.
"""

from __future__ import annotations

import math

import torch
from tqdm import tqdm


def coreset_size(n: int, ratio: float) -> int:
    """Features kept out of ``n`` at ``ratio`` (at least 1; ``ratio = 1`` keeps all)."""
    return n if ratio >= 1 else max(1, int(n * ratio))


def random_projection(features: torch.Tensor, dim: int, generator: torch.Generator) -> torch.Tensor:
    """Project ``(N, D)`` to ``(N, dim)`` with a seeded Gaussian matrix scaled by ``1 / sqrt(dim)``.

    The scale keeps expected squared distances; features already at ``D <= dim`` are returned as is
    (a projection could only distort them).
    """
    if features.shape[1] <= dim:
        return features
    matrix = torch.randn(features.shape[1], dim, generator=generator) / math.sqrt(dim)
    return features @ matrix.to(features)


def greedy_coreset(points: torch.Tensor, n: int, generator: torch.Generator,
                   progress: bool = False) -> torch.Tensor:
    """Indices of ``n`` points chosen by k-center greedy, starting from a random point.

    Args:
        points: ``(N, d)`` (already projected).
        n: Points to select, ``1 <= n <= N``.
        generator: Draws the first point, so a seed fixes the whole selection.
        progress: Show a progress bar.

    Returns:
        ``(n,)`` int64 indices in selection order; step ``i`` is the point whose distance to the
        nearest of the first ``i`` selected points is largest (first index on ties).
    """
    points = points.float()
    sq_norms = points.pow(2).sum(dim=1)
    nearest = torch.full_like(sq_norms, float("inf"))  # squared distance to the selection
    chosen = torch.empty(n, dtype=torch.long)
    index = int(torch.randint(len(points), (1,), generator=generator))
    for step in tqdm(range(n), desc="patchcore coreset", disable=not progress):
        chosen[step] = index
        centre = points[index]
        # |p - c|^2 = |p|^2 - 2 p.c + |c|^2: one matrix-vector product per step, no (N, d) temporary
        dist = (sq_norms - 2 * (points @ centre) + sq_norms[index]).clamp_min(0)
        nearest = torch.minimum(nearest, dist)
        nearest[index] = -1  # never again, even when duplicates leave every distance at 0
        index = int(nearest.argmax())
    return chosen
