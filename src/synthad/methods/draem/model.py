"""DRAEM's two sub-networks (Zavrtanik et al., ICCV 2021, Sec. 3.1-3.2; docs/official-code.md#draem-networks).

* :class:`ReconstructiveSubNetwork`: encoder-decoder without skip connections, 5 double-conv
  blocks ``w, 2w, 4w, 8w, 8w`` with 4 max-pools; bilinear up-sampling + conv in the decoder; a final
  3x3 conv to 3 channels, no output activation (paper: ``w = 128``).
* :class:`DiscriminativeSubNetwork`: U-Net on ``concat(reconstruction, input)`` (6 channels), 6
  encoder blocks ``w, 2w, 4w, 8w, 8w, 8w`` with 5 max-pools, skip concatenations, 2 output logits
  (paper: ``w = 64``).

Inputs must have a side divisible by 32 (the discriminator pools 5 times).
"""

from __future__ import annotations

import torch
from torch import nn


def _conv(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


def double_conv(cin: int, cout: int, mid: int | None = None) -> nn.Sequential:
    """(Conv3x3-BN-ReLU) x 2: ``(B, cin, H, W) -> (B, cout, H, W)``."""
    mid = cout if mid is None else mid
    return nn.Sequential(*_conv(cin, mid), *_conv(mid, cout))


def up_conv(cin: int, cout: int) -> nn.Sequential:
    """Bilinear x2 up-sampling then Conv3x3-BN-ReLU: ``(B, cin, H, W) -> (B, cout, 2H, 2W)``."""
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True), *_conv(cin, cout))


class ReconstructiveSubNetwork(nn.Module):
    """Autoencoder that maps an (augmented) image to its anomaly-free reconstruction.

    Args:
        base_width: ``w``; widths are ``w, 2w, 4w, 8w, 8w`` (paper 128).
        in_channels: Input channels.
        out_channels: Output channels.
    """

    def __init__(self, base_width: int = 128, in_channels: int = 3, out_channels: int = 3):
        super().__init__()
        w = base_width
        widths = [in_channels, w, 2 * w, 4 * w, 8 * w, 8 * w]
        self.encoder = nn.ModuleList(double_conv(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True))
        self.pool = nn.MaxPool2d(2)
        # Decoder: up (same width) then a double conv that halves the width (8w->4w->2w->w->w).
        dec = [(8 * w, 4 * w), (4 * w, 2 * w), (2 * w, w), (w, w)]
        self.ups = nn.ModuleList(up_conv(a, a) for a, _ in dec)
        self.decoder = nn.ModuleList(double_conv(a, b, mid=a) for a, b in dec)
        self.out = nn.Conv2d(w, out_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W) -> (B, 3, H, W)`` reconstruction."""
        for i, block in enumerate(self.encoder):
            x = block(self.pool(x) if i else x)
        for up, block in zip(self.ups, self.decoder, strict=True):
            x = block(up(x))
        return self.out(x)


class DiscriminativeSubNetwork(nn.Module):
    """U-Net that segments anomalies from ``concat(reconstruction, input)``.

    Args:
        base_width: ``w``; encoder widths ``w, 2w, 4w, 8w, 8w, 8w`` (paper 64).
        in_channels: 6 = reconstruction (3) + input (3).
        out_channels: 2 logits (normal, anomalous).
    """

    def __init__(self, base_width: int = 64, in_channels: int = 6, out_channels: int = 2):
        super().__init__()
        w = base_width
        widths = [in_channels, w, 2 * w, 4 * w, 8 * w, 8 * w, 8 * w]
        self.encoder = nn.ModuleList(double_conv(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True))
        self.pool = nn.MaxPool2d(2)
        # (up-conv in -> out, skip width): decoder from the 8x8 bottleneck back to full size.
        dec = [(8 * w, 8 * w, 8 * w), (8 * w, 4 * w, 8 * w), (4 * w, 2 * w, 4 * w), (2 * w, w, 2 * w),
               (w, w, w)]
        self.ups = nn.ModuleList(up_conv(a, b) for a, b, _ in dec)
        self.decoder = nn.ModuleList(double_conv(b + s, b) for _, b, s in dec)
        self.out = nn.Conv2d(w, out_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 6, H, W) -> (B, 2, H, W)`` logits."""
        skips = []
        for i, block in enumerate(self.encoder):
            x = block(self.pool(x) if i else x)
            skips.append(x)
        x = skips.pop()
        for up, block in zip(self.ups, self.decoder, strict=True):
            x = block(torch.cat([up(x), skips.pop()], dim=1))
        return self.out(x)


class DraemModel(nn.Module):
    """Both sub-networks; ``forward`` gives the reconstruction and the segmentation logits.

    Args:
        rec_base_width: Width of the reconstructive sub-network (paper 128).
        disc_base_width: Width of the discriminative sub-network (paper 64).
    """

    def __init__(self, rec_base_width: int = 128, disc_base_width: int = 64):
        super().__init__()
        self.reconstructive = ReconstructiveSubNetwork(rec_base_width)
        self.discriminative = DiscriminativeSubNetwork(disc_base_width)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x (B, 3, H, W)`` -> ``(reconstruction (B, 3, H, W), logits (B, 2, H, W))``."""
        rec = self.reconstructive(x)
        return rec, self.discriminative(torch.cat([rec, x], dim=1))
