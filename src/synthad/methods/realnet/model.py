"""RealNet's networks (Zhang et al., CVPR 2024; official cnulab/RealNet ``models/``): nn.Modules only.

* :class:`FeatureExtractor`: the frozen WideResNet-50 (or another backbone's taps at the same
  strides) and its layer1-4 outputs, each at its own stride (4, 8, 16, 32; "architecture A").
* :class:`ReconUNet`: one feature-reconstruction U-Net per block (the official layout: ADM's
  U-Net without time embedding, one convolution per ResBlock).
* :class:`Discriminator`: the head mapping the selected residuals to a 2-class map at image size.

Channel selection (:mod:`.afs`) and residual selection (:mod:`.rrs`) live in their own modules.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from synthad.methods.realnet.afs import ChannelSelector, Selection
from synthad.methods.realnet.rrs import ResidualSelection, RRSMode, merge_residuals
from synthad.nn.backbones import FeatureTaps


def layer_strides(layers: list[int]) -> tuple[int, ...]:
    """RealNet's ``layer1..layer4`` (WRN50 naming) -> the strides of their taps (4, 8, 16, 32)."""
    return tuple(2 ** (layer + 1) for layer in sorted(layers))


class FeatureExtractor(FeatureTaps):
    """The frozen backbone returning the taps of the requested WRN50-named layers (eval mode).

    Args:
        layers: Which of layer1..layer4 to return (e.g. ``[1, 2, 3, 4]``), i.e. strides 4..32;
            deeper stages are not built.
        weights: ``"imagenet"`` (the paper's) or ``"random"`` (a fixed random network).
        backbone: ``"wide_resnet50_2"`` (the paper's) or any :data:`~synthad.nn.backbones.TAP_CHANNELS`
            architecture with taps at those strides (``"efficientnet_lite0"``: 24 / 40 / 112 / 320
            channels instead of 256 / 512 / 1024 / 2048).
    """

    def __init__(self, layers: list[int], weights: str = "imagenet", backbone: str = "wide_resnet50_2"):
        super().__init__(backbone, weights, layer_strides(layers))  # type: ignore[arg-type]
        self.layers = sorted(layers)

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        """Images ``(B, 3, H, W)`` in ``[0, 1]`` -> one ``(B, C_l, H / s_l, W / s_l)`` per layer."""
        return super().forward(images)


def _norm(channels: int) -> nn.GroupNorm:
    """ADM's GroupNorm(32); fewer groups when the width is not a multiple of 32 (tiny demos)."""
    return nn.GroupNorm(math.gcd(32, channels), channels)


def _zero(module: nn.Module) -> nn.Module:
    """Zero-initialise a layer (ADM's ``zero_module``): attention starts as identity, the output at 0."""
    for p in module.parameters():
        nn.init.zeros_(p)
    return module


Resample = Literal["down", "up"] | None


class ResBlock(nn.Module):
    """The official RealNet residual block: ``skip(resample(x)) + Conv3x3(resample(SiLU(GN(x))))``.

    One GroupNorm-SiLU-Conv3x3 branch (ADM's block without its time embedding and without the second,
    zero-initialised convolution, which the official reconstruction network drops) plus the skip. A
    down / up block resamples both the branch, between the activation and the convolution, and the
    skip: ``"down"`` by a 2x2 average pool (ceil mode, so odd sizes work), ``"up"`` by a 4x4
    stride-2 transposed convolution, one for each path as in the official code.

    Args:
        cin: Input channels.
        cout: Output channels (``cin`` when ``None``); a change of width gives the skip a 1x1 conv.
        resample: ``None``, ``"down"`` (halves the size) or ``"up"`` (doubles it).
    """

    def __init__(self, cin: int, cout: int | None = None, resample: Resample = None):
        super().__init__()
        cout = cout or cin
        # Registered in the official order (norm, conv, resamplers, skip): its parameters map one to one.
        self.act, self.conv = nn.Sequential(_norm(cin), nn.SiLU()), nn.Conv2d(cin, cout, 3, padding=1)
        self.resample_branch, self.resample_skip = _resampler(resample, cin), _resampler(resample, cin)
        self.skip = nn.Identity() if cin == cout else nn.Conv2d(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, cin, h, w)`` -> ``(B, cout, h', w')``: ``h' = h``, ``ceil(h / 2)`` (down) or ``2h`` (up)."""
        return self.skip(self.resample_skip(x)) + self.conv(self.resample_branch(self.act(x)))


def _resampler(resample: Resample, channels: int) -> nn.Module:
    """The resampling of a :class:`ResBlock` path (``None`` / ``"down"`` / ``"up"``), width-preserving."""
    if resample == "down":
        return nn.AvgPool2d(2, ceil_mode=True)
    if resample == "up":
        return nn.ConvTranspose2d(channels, channels, 4, stride=2, padding=1)
    return nn.Identity()


class AttentionBlock(nn.Module):
    """ADM self-attention over positions, ``head_channels`` per head, zero-initialised projection.

    The ``qkv`` convolution's output is laid out head by head (``[q_1 k_1 v_1 q_2 ...]``), as in
    ADM's legacy attention that the official code uses.
    """

    def __init__(self, channels: int, head_channels: int = 64):
        super().__init__()
        # ADM's heads = channels / head_channels; a width it does not divide (the small widths of
        # EfficientNet taps, e.g. 112) takes the largest head count below that which divides it.
        self.heads = next(h for h in range(max(1, channels // head_channels), 0, -1) if channels % h == 0)
        self.norm, self.qkv = _norm(channels), nn.Conv2d(channels, 3 * channels, 1)
        self.proj = _zero(nn.Conv2d(channels, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, h, w)`` -> ``(B, C, h, w)``."""
        b, c, h, w = x.shape
        qkv = self.qkv(self.norm(x)).reshape(b, self.heads, 3, c // self.heads, h * w)
        q, k, v = qkv.transpose(-1, -2).unbind(2)  # each (B, heads, h*w, C / heads)
        out = F.scaled_dot_product_attention(q, k, v)
        return x + self.proj(out.transpose(-1, -2).reshape(b, c, h, w))


class _Level(nn.Sequential):
    """A ResBlock optionally followed by attention (one ADM U-Net "block")."""

    def __init__(self, cin: int, cout: int, attention: bool, head_channels: int):
        super().__init__(ResBlock(cin, cout), *([AttentionBlock(cout, head_channels)] if attention else []))


class ReconUNet(nn.Module):
    """Feature-reconstruction U-Net of one block: the official RealNet layout (ADM's, no time input).

    Input and output have ``channels`` channels; the base width is ``int(hide_ratio * channels)``.
    Encoder: Conv3x3, then per level ``num_res_blocks`` x (ResBlock [+ attention]) and, except at the
    last level, a down-sampling ResBlock; middle: ResBlock-attention-ResBlock; decoder: per level
    ``num_res_blocks + 1`` x (ResBlock on [h, skip] [+ attention]), the last of each level but the
    finest followed by an up-sampling ResBlock; out: GN-SiLU-Conv3x3 (zero-initialised). Every
    encoder output (the input conv's included) is a skip. At the paper's widths (blocks of 256 /
    512 channels) this has 51,846,144 / 207,271,936 parameters, the official network's count.
    Decoder maps are cropped to their skip's size, so odd sizes (layer4 is 1x1 at 32 px) work.

    Args:
        channels: Feature channels of the block (after selection).
        hide_ratio: Base width / channels (0.5).
        channel_mult: Width multiplier per level ((1, 2, 4)).
        num_res_blocks: ResBlocks per level on the way down (2; one more on the way up).
        attention_levels: Down-sampling factors with attention ((2, 4): the two coarser levels).
        head_channels: Channels per attention head (64).
    """

    def __init__(self, channels: int, hide_ratio: float = 0.5, channel_mult: tuple[int, ...] = (1, 2, 4),
                 num_res_blocks: int = 2, attention_levels: tuple[int, ...] = (2, 4),
                 head_channels: int = 64):
        super().__init__()
        base = max(1, int(channels * hide_ratio))
        ch = base * channel_mult[0]
        self.inp = nn.Conv2d(channels, ch, 3, padding=1)
        self.down, skips = nn.ModuleList(), [ch]
        for level, mult in enumerate(channel_mult):
            attn = 2 ** level in attention_levels
            for _ in range(num_res_blocks):
                self.down.append(_Level(ch, base * mult, attn, head_channels))
                ch = base * mult
                skips.append(ch)
            if level < len(channel_mult) - 1:
                self.down.append(ResBlock(ch, resample="down"))
                skips.append(ch)
        self.middle = nn.Sequential(ResBlock(ch), AttentionBlock(ch, head_channels), ResBlock(ch))
        self.up = nn.ModuleList()
        for level, mult in reversed(list(enumerate(channel_mult))):
            attn = 2 ** level in attention_levels
            for i in range(num_res_blocks + 1):
                blocks = [_Level(ch + skips.pop(), base * mult, attn, head_channels)]
                ch = base * mult
                if level and i == num_res_blocks:
                    blocks.append(ResBlock(ch, resample="up"))
                self.up.append(nn.Sequential(*blocks))
        self.out = nn.Sequential(_norm(ch), nn.SiLU(), _zero(nn.Conv2d(ch, channels, 3, padding=1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Features ``(B, C, h, w)`` -> reconstruction ``(B, C, h, w)``."""
        h, hs = self.inp(x), []
        hs.append(h)
        for block in self.down:
            h = block(h)
            hs.append(h)
        h = self.middle(h)
        for block in self.up:
            skip = hs.pop()
            h = block(torch.cat([h[..., : skip.shape[-2], : skip.shape[-1]], skip], dim=1))
        return self.out(h[..., : x.shape[-2], : x.shape[-1]])


class ResidualStack(nn.Module):
    """VQ-VAE residual stack: ``n`` x (ReLU-Conv3x3-ReLU-Conv1x1, added), then ReLU."""

    def __init__(self, channels: int, n: int = 2):
        super().__init__()
        self.layers = nn.ModuleList([
            nn.Sequential(nn.ReLU(), nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.ReLU(),
                          nn.Conv2d(channels, channels, 1, bias=False)) for _ in range(n)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, h, w)`` -> ``(B, C, h, w)``."""
        for layer in self.layers:
            x = x + layer(x)
        return F.relu(x)


class Discriminator(nn.Module):
    """RealNet's head ("discriminator", official ``models/rrs/rrs.py``): residuals -> 2-class logits.

    ResidualStack(C) -> Conv3x3 C->w0 + BN + ReLU -> Conv3x3 w0->w1 ReLU -> Conv3x3 w1->w2 ReLU ->
    bilinear x2 -> Conv3x3 w2->w3 ReLU -> Conv3x3 w3->2 -> bilinear to the image size (both bilinear
    steps with ``align_corners=True``, as the official head).

    Args:
        channels: Input channels (residuals kept by RRS; 512).
        widths: ``(w0, w1, w2, w3)`` ((128, 32, 8, 4)).
    """

    def __init__(self, channels: int, widths: tuple[int, int, int, int] = (128, 32, 8, 4)):
        super().__init__()
        w0, w1, w2, w3 = widths
        self.features = nn.Sequential(
            ResidualStack(channels),
            nn.Conv2d(channels, w0, 3, padding=1), nn.BatchNorm2d(w0), nn.ReLU(),
            nn.Conv2d(w0, w1, 3, padding=1), nn.ReLU(), nn.Conv2d(w1, w2, 3, padding=1), nn.ReLU())
        self.final = nn.Sequential(nn.Conv2d(w2, w3, 3, padding=1), nn.ReLU(), nn.Conv2d(w3, 2, 3, padding=1))

    def forward(self, residual: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """Residuals ``(B, C, h, w)`` -> logits ``(B, 2, *size)``; softmax channel 1 is the anomaly map."""
        x = self.features(residual)
        x = F.interpolate(x, size=(2 * x.shape[-2], 2 * x.shape[-1]), mode="bilinear", align_corners=True)
        return F.interpolate(self.final(x), size=size, mode="bilinear", align_corners=True)


class RealNetModel(nn.Module):
    """Backbone -> channel selection -> per-block reconstruction -> RRS -> head (architecture A).

    Args:
        layers: WRN50-named layers used as blocks (``[1, 2, 3, 4]``, strides 4..32).
        dims: Channels kept per block (``[256, 512, 512, 256]``).
        selection: ``"afs"``, ``"rdr"`` or ``"rlpr"`` (see :mod:`.afs`).
        weights: Backbone weights, ``"imagenet"`` or ``"random"``.
        unet: Keyword arguments of :class:`ReconUNet` (``hide_ratio``, ``channel_mult``, ...).
        rrs_mode, rrs_retention: See :class:`~synthad.methods.realnet.rrs.ResidualSelection`.
        head_widths: Widths of the :class:`Discriminator`.
        extractor: Reuse this frozen extractor instead of building one (it has no trainable state).
        backbone: Architecture of the extractor (``"wide_resnet50_2"``, the paper's).
    """

    def __init__(self, layers: list[int], dims: list[int], selection: Selection = "afs",
                 weights: str = "imagenet", unet: dict | None = None, rrs_mode: RRSMode = "max_avg",
                 rrs_retention: float = 1 / 3, head_widths: tuple[int, int, int, int] = (128, 32, 8, 4),
                 extractor: FeatureExtractor | None = None, backbone: str = "wide_resnet50_2"):
        super().__init__()
        self.extractor = extractor if extractor is not None else FeatureExtractor(layers, weights, backbone)
        self.selectors = nn.ModuleList([ChannelSelector(c, k, selection)
                                        for c, k in zip(self.extractor.channels, dims, strict=True)])
        self.recons = nn.ModuleList([ReconUNet(k, **(unet or {})) for k in dims])
        self.rrs = ResidualSelection(sum(dims), rrs_mode, rrs_retention)
        self.head = Discriminator(self.rrs.out_channels, head_widths)

    @torch.no_grad()
    def features(self, images: torch.Tensor) -> list[torch.Tensor]:
        """Images ``(B, 3, H, W)`` in ``[0, 1]`` -> selected features ``[(B, k_l, h_l, w_l)]``."""
        return [sel(f) for sel, f in zip(self.selectors, self.extractor(images), strict=True)]

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Images ``(B, 3, H, W)`` -> (logits ``(B, 2, H, W)``, reconstructions ``[(B, k_l, h_l, w_l)]``)."""
        return self.from_features(self.features(images), images.shape[-2:])

    def from_features(self, feats: list[torch.Tensor], size: tuple[int, int]
                      ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Selected features (see :meth:`features`) -> (logits ``(B, 2, *size)``, reconstructions)."""
        recons = [unet(f) for unet, f in zip(self.recons, feats, strict=True)]
        residual = merge_residuals([(f - r).pow(2) for f, r in zip(feats, recons, strict=True)])
        return self.head(self.rrs(residual), size), recons
