"""Large kernels (synthad.nn.large_kernel): merged == unmerged, BN fusion, blocks, large-kernel attention."""

import pytest
import torch
from torch import nn

from synthad.nn.large_kernel import (
    ConvFFN,
    LargeKernelAttention,
    LKABlock,
    ReparamLargeKernelConv,
    RepLKBlock,
    conv_bn,
    fuse_bn,
    merge_reparam,
)


def _randomise_bn(module: nn.Module, seed: int = 0) -> None:
    """Non-trivial BN statistics and affine parameters, so fusing them is really tested."""
    g = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=g))
            m.running_var.copy_(torch.rand(c, generator=g) + 0.5)
            m.weight.data.copy_(torch.randn(c, generator=g))
            m.bias.data.copy_(torch.randn(c, generator=g))


def test_fuse_bn_equals_conv_then_bn():
    torch.manual_seed(0)
    seq = conv_bn(3, 5, 3).eval()
    _randomise_bn(seq)
    weight, bias = fuse_bn(seq.conv, seq.bn)
    x = torch.randn(2, 3, 9, 9)
    torch.testing.assert_close(nn.functional.conv2d(x, weight, bias, padding=1), seq(x), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(("large", "small", "stride"), [(31, 5, 1), (13, 5, 2), (7, 3, 1), (5, 5, 1)])
def test_merged_equals_unmerged(large, small, stride):
    torch.manual_seed(1)
    conv = ReparamLargeKernelConv(4, large, small, stride).eval()
    _randomise_bn(conv)
    x = torch.randn(2, 4, 20, 20)
    before = conv(x)
    assert not torch.allclose(before, conv.large(x), atol=1e-3)  # the small branch contributes
    conv.merge()
    assert conv.small is None and conv.large is None and conv.merged.kernel_size == (large, large)
    torch.testing.assert_close(conv(x), before, atol=1e-5, rtol=1e-5)


def test_small_kernel_is_centred_in_the_large_one():
    conv = ReparamLargeKernelConv(1, 7, 3).eval()
    with torch.no_grad():
        conv.large.conv.weight.zero_()
        conv.small.conv.weight.fill_(1.0)
    weight, _ = conv.merged_kernel()
    nonzero = weight[0, 0].abs() > 0
    assert nonzero[2:5, 2:5].all() and nonzero.sum() == 9  # the 3x3 sits in the middle of the 7x7


def test_merge_reparam_on_a_stack_of_blocks_keeps_the_function():
    torch.manual_seed(2)
    net = nn.Sequential(RepLKBlock(8, 8, 13, 5), ConvFFN(8, 32), RepLKBlock(8, 8, 7, 3)).eval()
    _randomise_bn(net)
    x = torch.randn(2, 8, 16, 16)
    before = net(x)
    merge_reparam(net)
    assert not any(isinstance(m, ReparamLargeKernelConv) and m.small is not None for m in net.modules())
    torch.testing.assert_close(net(x), before, atol=1e-4, rtol=1e-4)


def test_blocks_are_residual_and_keep_the_shape():
    block = RepLKBlock(6, 6, 9, 3)
    with torch.no_grad():
        block.pw2.bn.weight.zero_()  # zero residual branch -> identity
        block.pw2.bn.bias.zero_()
    x = torch.randn(2, 6, 12, 12)
    torch.testing.assert_close(block.eval()(x), x)
    assert ConvFFN(6, 24)(x).shape == x.shape


def test_large_kernel_reaches_far_pixels():
    """The receptive field of one 31x31 depth-wise layer spans 31 pixels (a 3x3 stack would need 15)."""
    conv = ReparamLargeKernelConv(1, 31, 5).eval()
    x = torch.zeros(1, 1, 41, 41, requires_grad=True)
    conv(x)[0, 0, 20, 20].backward()
    reached = x.grad[0, 0].abs() > 0
    assert reached[20, 5] and reached[20, 35] and not reached[20, 4]


@pytest.mark.parametrize(("large", "small"), [(30, 5), (7, 4), (5, 7)])
def test_bad_kernels_are_refused(large, small):
    with pytest.raises(ValueError, match="odd kernels"):
        ReparamLargeKernelConv(2, large, small)


@pytest.mark.parametrize(("local", "kernel", "dilation", "reach"), [(3, 3, 3, 4), (5, 7, 3, 11)])
def test_lka_gates_the_input_with_a_map_of_the_dilated_reach(local, kernel, dilation, reach):
    """SLSG's 3, 3, 3 sees 9 x 9 pixels, VAN's 5, 7, 3 sees 23 x 23; the map multiplies the input."""
    torch.manual_seed(0)
    lka = LargeKernelAttention(1, local, kernel, dilation)
    x = torch.zeros(1, 1, 31, 31, requires_grad=True)
    attention_map = lka.pointwise(lka.dilated(lka.local(x)))
    attention_map[0, 0, 15, 15].backward()
    reached = (x.grad[0, 0].abs() > 0).nonzero()
    assert reached.min().item() == 15 - reach and reached.max().item() == 15 + reach
    y = torch.randn(2, 1, 31, 31)
    torch.testing.assert_close(lka(y), y * lka.pointwise(lka.dilated(lka.local(y))))


def test_lka_block_is_residual_and_keeps_the_shape():
    block = LKABlock(6)
    with torch.no_grad():
        block.proj.weight.zero_()
        block.proj.bias.zero_()
    x = torch.randn(2, 6, 12, 12)
    torch.testing.assert_close(block(x), x)
    assert LKABlock(6)(x).shape == x.shape
