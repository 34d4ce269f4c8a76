"""NDP-Net's networks (Luo, Yao, Yu, Sec. III, Figs. 1, 3, 6, 8): encoder, RBAM, decoder, MSDSM.

* :class:`Encoder` -- five layers of ``(Conv3x3-BN-ReLU) x 2``, widths ``w, 2w, 4w, 8w, 8w``, a 2x2
  max-pool before layers 2-5, so layer ``l`` has stride ``2^(l-1)`` (layer 1 at the input size, which
  Eq. 11 implies: ``AM_1`` is not up-sampled).
* :class:`Decoder` -- U-Net-style decoder from layer 5 with skip concatenations of layers 4 and 3
  (the RBAM-repaired features in phase 2); no skips from layers 1-2, whose features are not repaired.
* :class:`NdpNetModel` -- both plus one :class:`~.rbam.RBAM` per deep layer (3-5), the
  :class:`~.msdsm.MSDSM`, and the fixed reference defect-free image as a buffer.

The paper gives no widths or decoder layout; these are our choices (README "Deviations / choices").
Inputs must have a side divisible by 16 (four pools).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from synthad.methods.draem.model import double_conv, up_conv
from synthad.methods.ndpnet.msdsm import MSDSM
from synthad.methods.ndpnet.rbam import RBAM

DEEP = slice(2, 5)  # encoder layers 3-5 (0-based 2..4): where RBAM sits (l1 = 3, l2 = 5)
SHALLOW = 3  # layers 1-3 feed the MSDSM


def widths(base_width: int) -> list[int]:
    """Channels of the five encoder layers: ``w, 2w, 4w, 8w, 8w``."""
    w = base_width
    return [w, 2 * w, 4 * w, 8 * w, 8 * w]


class Encoder(nn.Module):
    """Five-layer encoder; ``forward`` returns every layer's features ``Phi_1..5``.

    Args:
        base_width: ``w`` (our default 64).
    """

    def __init__(self, base_width: int = 64):
        super().__init__()
        chans = [3, *widths(base_width)]
        self.layers = nn.ModuleList(double_conv(a, b) for a, b in zip(chans[:-1], chans[1:], strict=True))
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor, depth: int = 5) -> list[torch.Tensor]:
        """``(B, 3, H, W)`` -> ``depth`` maps; layer ``l`` is ``(B, C_l, H / 2^(l-1), W / 2^(l-1))``."""
        feats = []
        for i, layer in enumerate(self.layers[:depth]):
            x = layer(self.pool(x) if i else x)
            feats.append(x)
        return feats


class Decoder(nn.Module):
    """Reconstructs the image from layers 3-5 (layer 5 as input, 4 and 3 concatenated as skips).

    Args:
        base_width: ``w`` of the encoder.
    """

    def __init__(self, base_width: int = 64):
        super().__init__()
        w1, w2, w3, w4, w5 = widths(base_width)
        self.up5, self.dec4 = up_conv(w5, w5), double_conv(w5 + w4, w3)
        self.up4, self.dec3 = up_conv(w3, w3), double_conv(w3 + w3, w2)
        self.up3, self.dec2 = up_conv(w2, w2), double_conv(w2, w1)
        self.up2, self.dec1 = up_conv(w1, w1), double_conv(w1, w1)
        self.out = nn.Conv2d(w1, 3, 3, padding=1)

    def forward(self, deep: list[torch.Tensor]) -> torch.Tensor:
        """``[F^3, F^4, F^5]`` (strides 4, 8, 16) -> reconstruction ``(B, 3, H, W)`` (no activation)."""
        f3, f4, f5 = deep
        x = self.dec4(torch.cat([self.up5(f5), f4], dim=1))
        x = self.dec3(torch.cat([self.up4(x), f3], dim=1))
        x = self.dec1(self.up2(self.dec2(self.up3(x))))
        return self.out(x)


@dataclass
class NdpNetOutput:
    """What the phase-2 / test path produces.

    Attributes:
        rec: Reconstruction ``I_adb`` ``(B, 3, H, W)``.
        deep_in: Encoder features of the input at layers 3-5 (``F_ad``).
        deep_out: Repaired layers 3-5 (``F_out``; ``F_ad`` itself without RBAM).
        logits: MSDSM logits per scale ``(B, 2, H_i, W_i)``, or ``None`` without MSDSM.
    """

    rec: torch.Tensor
    deep_in: list[torch.Tensor]
    deep_out: list[torch.Tensor]
    logits: list[torch.Tensor] | None


class NdpNetModel(nn.Module):
    """Encoder, RBAMs on layers 3-5, decoder, MSDSM and the fixed reference image.

    Args:
        base_width: Encoder width ``w``.
        image_size: Side of the reference image buffer.
        patch_sizes: RBFRM ``K`` values (paper 2, 4).
        ffm_channels: FFM compressed channels (paper 64).
        ffm_kernel: FFM kernel ``m`` (paper 5).
        softmax_scale: RBFRM softmax scale (paper 1).
        dsm_width: Hidden width of the DSM heads.
        msdsm_weights: ``lambda_1..3`` (paper 0.2, 0.2, 0.6).
        use_rbam: ``False``: Table VI column B (decoder fed the unrepaired features).
        use_msdsm: ``False``: no MSDSM (Table VI columns D/F use a pixel-gap or SSIM map instead).
    """

    def __init__(self, base_width: int = 64, image_size: int = 256, patch_sizes: tuple[int, ...] = (2, 4),
                 ffm_channels: int = 64, ffm_kernel: int = 5, softmax_scale: float = 1.0, dsm_width: int = 64,
                 msdsm_weights: tuple[float, ...] = (0.2, 0.2, 0.6), use_rbam: bool = True,
                 use_msdsm: bool = True):
        super().__init__()
        chans = widths(base_width)
        self.encoder = Encoder(base_width)
        self.decoder = Decoder(base_width)
        self.rbam = nn.ModuleList(RBAM(c, tuple(patch_sizes), ffm_channels, ffm_kernel, softmax_scale)
                                  for c in chans[DEEP]) if use_rbam else None
        self.msdsm = MSDSM(tuple(chans[:SHALLOW]), dsm_width, tuple(msdsm_weights)) if use_msdsm else None
        self.register_buffer("reference", torch.zeros(1, 3, image_size, image_size))
        self.encoder_frozen = False

    def freeze_encoder(self) -> None:
        """Phase 2: no gradients to the encoder and BatchNorm statistics fixed (eval mode for good)."""
        self.encoder_frozen = True
        for p in self.encoder.parameters():
            p.requires_grad_(False)
        self.encoder.eval()

    def train(self, mode: bool = True) -> NdpNetModel:
        """As :meth:`nn.Module.train`, but a frozen encoder stays in eval mode."""
        super().train(mode)
        if self.encoder_frozen:
            self.encoder.eval()
        return self

    def set_reference(self, image: torch.Tensor) -> None:
        """Store the fixed reference defect-free image ``(3, S, S)`` in ``[0, 1]``."""
        self.reference.copy_(image.reshape(self.reference.shape))

    def repair(self, deep: list[torch.Tensor], deep_ref: list[torch.Tensor]) -> list[torch.Tensor]:
        """RBAM on layers 3-5 (identity without RBAM): ``F_ad`` -> ``F_out``."""
        if self.rbam is None:
            return list(deep)
        return [rbam(f, r) for rbam, f, r in zip(self.rbam, deep, deep_ref, strict=True)]

    def forward(self, x: torch.Tensor) -> NdpNetOutput:
        """Phase-2 / test path (Fig. 8b) on ``x (B, 3, H, W)``; the encoder's own input gets no gradient."""
        with torch.no_grad():  # the encoder is frozen here: its outputs on x and the reference are data
            feats = self.encoder(x)
            deep_ref = self.encoder(self.reference)[DEEP] if self.rbam is not None else []
        deep_out = self.repair(feats[DEEP], deep_ref)
        rec = self.decoder(deep_out)
        logits = None
        if self.msdsm is not None:  # gradients flow through the frozen encoder into the decoder
            logits = self.msdsm(feats[:SHALLOW], self.encoder(rec, depth=SHALLOW))
        return NdpNetOutput(rec, feats[DEEP], deep_out, logits)
