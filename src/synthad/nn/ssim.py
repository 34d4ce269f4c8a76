"""Structural similarity (Wang et al. 2004) as a differentiable torch loss.

DRAEM's reconstruction loss (docs/official-code.md#draem-losses) uses an 11x11 Gaussian window with
sigma 1.5, one window per channel (grouped convolution with zero padding, so the map keeps the input size),
``C1 = (0.01 L)^2``, ``C2 = (0.03 L)^2`` with ``L = 1`` for ``[0, 1]`` inputs and
``loss = 1 - mean SSIM``. Away from a 5-pixel border the map equals scikit-image's
``structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def gaussian_window(size: int = 11, sigma: float = 1.5, channels: int = 3) -> torch.Tensor:
    """Normalised 2D Gaussian window, one per channel: ``(channels, 1, size, size)``."""
    x = torch.arange(size, dtype=torch.float32) - size // 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).expand(channels, 1, size, size).contiguous()


def ssim_map(x: torch.Tensor, y: torch.Tensor, window_size: int = 11, sigma: float = 1.5,
             data_range: float = 1.0) -> torch.Tensor:
    """Per-pixel, per-channel SSIM.

    Args:
        x: ``(B, C, H, W)``.
        y: ``(B, C, H, W)``.
        window_size: Side of the Gaussian window.
        sigma: Standard deviation of the window.
        data_range: ``L``, the dynamic range of the values (1 for ``[0, 1]``).

    Returns:
        ``(B, C, H, W)`` SSIM values (zero padding at the borders, as DRAEM).
    """
    c = x.shape[1]
    win = gaussian_window(window_size, sigma, c).to(x)
    pad = window_size // 2

    def filt(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(t, win, padding=pad, groups=c)

    mu_x, mu_y = filt(x), filt(y)
    var_x = filt(x * x) - mu_x**2
    var_y = filt(y * y) - mu_y**2
    cov = filt(x * y) - mu_x * mu_y
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    return ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))


def ssim(x: torch.Tensor, y: torch.Tensor, **kwargs) -> torch.Tensor:
    """Mean SSIM over all pixels, channels and images (a scalar); kwargs go to :func:`ssim_map`."""
    return ssim_map(x, y, **kwargs).mean()


class SSIMLoss(nn.Module):
    """``1 - mean SSIM`` (DRAEM's ``SSIM`` loss term).

    Args:
        window_size: Side of the Gaussian window (DRAEM: 11).
        sigma: Window standard deviation (1.5).
        data_range: Dynamic range ``L`` (1 for ``[0, 1]`` images).
    """

    def __init__(self, window_size: int = 11, sigma: float = 1.5, data_range: float = 1.0):
        super().__init__()
        self.window_size, self.sigma, self.data_range = window_size, sigma, data_range

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``x, y (B, C, H, W)`` -> scalar loss."""
        return 1.0 - ssim(x, y, window_size=self.window_size, sigma=self.sigma, data_range=self.data_range)
