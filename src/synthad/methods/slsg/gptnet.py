"""GPT-Net, the generative pre-training network, and its Markov discriminator D-Net (Sec. 3.1, 4.2).

GPT-Net is a U-Net generator: the ResNet18 encoder that later initialises SegNet, a symmetric
decoder with skip connections, and an auxiliary head that reconstructs the image from the
bottleneck alone (``L_aux^R``, so the deep layers cannot lean on the skips). D-Net is a PatchGAN
("Markov discriminator", Isola et al.): four convolution groups and a one-channel output map.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from synthad.methods.slsg.model import Decoder, Encoder, conv_group


class GptNet(nn.Module):
    """Masked-inpainting generator.

    Args:
        weights: Initial encoder weights, ``"imagenet"`` or ``"random"``.
        decoder_widths: Widths of the four decoder blocks.
        backbone: Encoder architecture (``"resnet18"``, the paper's; see :class:`~.model.Encoder`).
    """

    def __init__(self, weights: str, decoder_widths: list[int], backbone: str = "resnet18"):
        super().__init__()
        self.encoder = Encoder(weights, backbone)
        self.decoder = Decoder(decoder_widths, 3, encoder_channels=self.encoder.channels)
        width = decoder_widths[-1]
        self.aux_head = nn.Sequential(conv_group(self.encoder.channels[3], width),
                                      nn.Conv2d(width, 3, 3, padding=1))

    def forward(self, masked: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """GPT-Net forward pass.

        Args:
            masked: ``x_m`` ``(B, 3, H, W)``, standardised, masked pixels 0.

        Returns:
            Reconstruction and auxiliary bottleneck reconstruction, both ``(B, 3, H, W)`` in ``[0, 1]``.
        """
        _, f1, f2, f3, f4 = self.encoder(masked, normalize=False)  # no stem skip (SegNet has one)
        rec = torch.sigmoid(self.decoder(f4, [f3, f2, f1]))
        aux = F.interpolate(self.aux_head(f4), size=masked.shape[-2:], mode="bilinear", align_corners=False)
        return rec, torch.sigmoid(aux)


class PatchDiscriminator(nn.Module):
    """D-Net: four convolution groups (4x4 stride-2 conv, BN except first, LeakyReLU 0.2), conv -> 1 channel.

    Args:
        width: Channels of the first group; doubled per group.
    """

    def __init__(self, width: int = 64):
        super().__init__()
        layers, c_in = [], 3
        for i in range(4):
            c_out = width * 2 ** i
            layers.append(nn.Conv2d(c_in, c_out, 4, stride=2, padding=1, bias=i == 0))
            if i:
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            c_in = c_out
        layers.append(nn.Conv2d(c_in, 1, 3, padding=1))
        self.net = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Images ``(B, 3, H, W)`` in ``[0, 1]`` -> real/fake map ``(B, 1, H/16, W/16)`` (raw, LSGAN)."""
        return self.net(images * 2 - 1)
