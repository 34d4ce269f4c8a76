"""SLSG components: config defaults, GPT-Net masks, SG block graph and aggregation, losses, encoder, score."""

import numpy as np
import pytest
import torch
from torch import nn

from synthad.config import build
from synthad.errors import ConfigError
from synthad.methods.slsg import Config
from synthad.methods.slsg.gptnet import GptNet, PatchDiscriminator
from synthad.methods.slsg.loss import discriminator_loss, generator_adversarial, segnet_loss
from synthad.methods.slsg.masking import gptnet_masks, grid_mask, large_mask
from synthad.methods.slsg.method import build_segnet, top_k_mean
from synthad.methods.slsg.model import Encoder
from synthad.methods.slsg.sg_block import SGBlock, max_relative, sincos_position_encoding, sparse_graph
from synthad.nn import focal_loss
from synthad.nn.backbones import imagenet_normalize
from synthad.nn.large_kernel import LKABlock


def test_config_defaults_are_the_papers_values():
    cfg = Config()
    assert (cfg.grid_cells, cfg.grid_ratio, cfg.large_mask, cfg.large_mask_min, cfg.large_mask_max) == (
        8, 0.8, True, 40, 150)
    assert (cfg.pretrain_epochs, cfg.pretrain_batch_size, cfg.lr_generator, cfg.lr_discriminator) == (
        40, 6, 1e-3, 6e-4)
    assert (cfg.alpha_adv, cfg.alpha_l1, cfg.alpha_aux_rec) == (1.0, 0.8, 1.0)
    assert (cfg.steps, cfg.normal_per_batch, cfg.anomalous_per_batch, cfg.lr) == (3500, 4, 4, 0.04)
    assert (cfg.focal_gamma, cfg.alpha_focal, cfg.alpha_l1_seg, cfg.alpha_aux_seg) == (4.0, 0.4, 0.6, 0.3)
    assert (cfg.top_k, cfg.eliminate_position, cfg.graph, cfg.score_top_k, cfg.image_size) == (
        9, True, "both", 100, 256)
    assert (cfg.encoder_init, cfg.structural, cfg.logical, cfg.foreground) == ("gptnet", True, True, True)
    assert cfg.logical_prob() == 0.5 and cfg.score_pixels() == 100 and cfg.large_mask_range() == (40, 150)


def test_config_scales_with_the_image_and_maps_the_ablations():
    cfg = Config(image_size=64)
    assert cfg.score_pixels() == round(100 / 16) and cfg.large_mask_range() == (10, 38)
    assert Config(image_size=64, scale_score_top_k=False).score_pixels() == 100
    assert Config(logical=False).logical_prob() == 0.0 and Config(structural=False).logical_prob() == 1.0


@pytest.mark.parametrize("bad", [{"image_size": 40}, {"structural": False, "logical": False}, {"pos_dim": 6},
                                 {"decoder_widths": [8, 8]}, {"graph": "dense"}, {"top_k": 0},
                                 {"encoder_init": "moco"}, {"grid_ratio": 1.5}])
def test_config_validation(bad):
    with pytest.raises(ConfigError):
        build(Config, bad, "method_params.slsg")


@pytest.mark.parametrize("size", [64, 256])
def test_grid_mask_masks_80_percent_of_the_8x8_cells(size):
    rng = np.random.default_rng(0)
    for _ in range(5):
        mask = grid_mask(size, 8, 0.8, rng)
        cells = mask.reshape(8, size // 8, 8, size // 8)
        assert (cells.min(axis=(1, 3)) == cells.max(axis=(1, 3))).all(), "each cell is all-or-nothing"
        assert cells[:, 0, :, 0].sum() == round(0.8 * 64) == 51
        assert mask.mean() == pytest.approx(51 / 64)


def test_grid_mask_ratio_and_cells_follow_the_ablation_settings():
    rng = np.random.default_rng(1)
    assert grid_mask(64, 4, 0.6, rng).mean() == pytest.approx(round(0.6 * 16) / 16)
    assert grid_mask(64, 16, 0.9, rng).mean() == pytest.approx(round(0.9 * 256) / 256)


def test_large_masks_are_rectangles_with_sides_in_range():
    rng = np.random.default_rng(0)
    sides = []
    for _ in range(200):
        mask = large_mask(256, (40, 150), rng)
        rows, cols = np.nonzero(mask.any(1))[0], np.nonzero(mask.any(0))[0]
        h, w = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
        assert mask.sum() == h * w, "one filled rectangle"
        sides += [h, w]
    assert min(sides) >= 40 and max(sides) <= 150 and max(sides) > 140 and min(sides) < 50


def test_gptnet_masks_unite_grid_and_large_mask():
    with_large = gptnet_masks(16, 64, 8, 0.8, (10, 38), np.random.default_rng(0))
    grid_only = gptnet_masks(16, 64, 8, 0.8, None, np.random.default_rng(0))
    assert with_large.shape == (16, 1, 64, 64)
    assert grid_only.mean().item() == pytest.approx(51 / 64)
    assert with_large.mean() > grid_only.mean()


def _position_dominated(h=8, w=8, dim=64, eps=0.1, classes=5):
    """Node features = position encoding plus a weak class one-hot (classes spread over the grid)."""
    position = sincos_position_encoding(h, w, dim)
    label = (torch.arange(h * w) * 7) % classes
    semantic = torch.nn.functional.one_hot(label, classes).float() * eps * position.norm(dim=1, keepdim=True)
    return torch.cat([position, semantic], dim=1)[None], position, label


def _grid_distance(i, j, w=8):
    return max(abs(i // w - j // w), abs(i % w - j % w))


def test_without_elimination_the_graph_links_spatial_neighbours():
    x, position, _ = _position_dominated()
    neighbours = sparse_graph(x, x, None, 9)[0]
    for i in range(len(neighbours)):
        distances = [_grid_distance(i, int(j)) for j in neighbours[i]]
        assert max(distances) <= 3 and sum(d <= 1 for d in distances) >= 4
    assert sorted(_grid_distance(27, int(j)) for j in neighbours[27]) == [0] + [1] * 8  # interior node


def test_position_elimination_links_distant_similar_nodes():
    x, position, label = _position_dominated()
    neighbours = sparse_graph(x, x, position, 9)[0]
    for i in range(len(neighbours)):
        assert all(_grid_distance(i, int(j)) > 1 for j in neighbours[i]), "no 8-neighbour survives"
        assert (label[neighbours[i][:4]] == label[i]).all(), "the closest links share the semantic class"


def test_position_encoding_similarity_falls_with_distance():
    position = sincos_position_encoding(16, 16, 64)
    sim = torch.nn.functional.cosine_similarity(position[:1], position, dim=1).reshape(16, 16)
    assert sim[0, 0] == pytest.approx(1.0) and sim[0, 1] > sim[0, 4] > sim[0, 12]
    assert sim[1, 0] == pytest.approx(sim[0, 1].item(), abs=1e-6)


def test_max_relative_equals_a_brute_force_loop():
    g = torch.Generator().manual_seed(0)
    nodes = torch.randn(2, 10, 5, generator=g)
    neighbours = torch.randint(0, 10, (2, 10, 3), generator=g)
    expected = torch.empty_like(nodes)
    for b in range(2):
        for i in range(10):
            for c in range(5):
                expected[b, i, c] = max(nodes[b, j, c] - nodes[b, i, c] for j in neighbours[b, i].tolist())
    torch.testing.assert_close(max_relative(nodes, neighbours), expected)


def test_sg_block_relates_distant_nodes_and_none_is_identity():
    torch.manual_seed(0)
    x = torch.randn(1, 16, 6, 6)
    far = x.clone()
    far[..., 5, 5] = 2 * x[..., 0, 0]  # the same direction as node (0, 0): its top graph neighbour
    for mode in ("both", "attention", "gcn"):
        block = SGBlock(16, top_k=4, pos_dim=8, mode=mode).eval()
        with torch.no_grad():
            block.g.weight.copy_(block.f.weight)  # CosSim(f(x_i), g(x_j)) = 1 for parallel nodes
            block.f.bias.zero_(), block.g.bias.zero_()
            changed = (block(far) - block(x))[..., 0, 0].abs().max()
        assert changed > 1e-4, f"{mode}: node (0, 0) sees node (5, 5), unlike a 1x1 convolution"
    assert torch.equal(SGBlock(16, mode="none")(x), x)


def test_lsgan_losses_match_eq_8_and_9():
    ones, zeros = torch.ones(2, 1, 4, 4), torch.zeros(2, 1, 4, 4)
    assert generator_adversarial(ones).item() == 0 and generator_adversarial(zeros).item() == 0.5
    assert discriminator_loss(ones, zeros).item() == 0 and discriminator_loss(zeros, ones).item() == 1.0


def test_segnet_loss_weights_focal_l1_and_aux():
    g = torch.Generator().manual_seed(0)
    logits, aux = torch.randn(2, 2, 8, 8, generator=g), torch.randn(2, 2, 8, 8, generator=g)
    mask = (torch.rand(2, 1, 8, 8, generator=g) > 0.7).float()
    total, terms = segnet_loss(logits, aux, mask, 4.0, (0.4, 0.6, 0.3))
    probs = torch.softmax(logits, 1)
    assert terms["focal"] == pytest.approx(focal_loss(probs, mask, gamma=4.0).item())
    assert terms["l1"] == pytest.approx((probs[:, 1:] - mask).abs().mean().item())
    assert total.item() == pytest.approx(0.4 * terms["focal"] + 0.6 * terms["l1"] + 0.3 * terms["aux"])
    only_l1, _ = segnet_loss(logits, aux, mask, 4.0, (0.0, 1.0, 0.0))
    assert only_l1.item() == pytest.approx(terms["l1"])


def test_encoder_feeds_conv1_straight_to_layer1_as_the_authors_code():
    """bn1, ReLU and max-pool are bypassed on the main path; relu(bn1(conv1)) is only the stem skip."""
    encoder = Encoder("random").eval()
    assert [type(m) for m in encoder.stem] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU]  # no max-pool
    entering = []
    encoder.stages[0].register_forward_pre_hook(lambda module, args: entering.append(args[0]))
    x = torch.rand(2, 3, 64, 64)
    stem, f1, f2, f3, f4 = encoder(x)
    conv1 = encoder.stem[0](imagenet_normalize(x))
    torch.testing.assert_close(entering[0], conv1)  # layer1's input is conv1's output itself
    torch.testing.assert_close(f1, encoder.stages[0](conv1))
    torch.testing.assert_close(stem, torch.relu(encoder.stem[1](conv1)))
    assert not torch.allclose(f1, encoder.stages[0](stem), atol=1e-3)  # torchvision's path differs
    shapes = [tuple(f.shape[1:]) for f in (stem, f1, f2, f3, f4)]
    assert shapes == [(64, 32, 32), (64, 32, 32), (128, 16, 16), (256, 8, 8), (512, 4, 4)]


def test_segnet_puts_large_kernel_attention_on_the_layer1_to_3_skips():
    model = build_segnet(Config(image_size=32, decoder_widths=[8, 8, 8, 8], skip_channels=4)).eval()
    assert [type(b) for b in model.skip_attention] == [LKABlock] * 3
    for block, channels in zip(model.skip_attention, (64, 128, 256), strict=True):
        lka = block.attention  # the authors' SpatialAttention(dim, 3, 3): DW 3x3, DW 3x3 dilation 3, 1x1
        local, dilated = lka.local, lka.dilated
        assert (local.kernel_size, local.groups, local.in_channels) == ((3, 3), channels, channels)
        assert (dilated.kernel_size, dilated.dilation, dilated.groups) == ((3, 3), (3, 3), channels)
        assert lka.pointwise.kernel_size == (1, 1)
    seen = []
    for block in model.skip_attention:
        block.register_forward_hook(lambda module, args, out: seen.append((args[0], out.shape)))
    x = torch.rand(2, 3, 32, 32)
    _, f1, f2, f3, _ = model.encoder(x)
    logits, _ = model(x)
    assert logits.shape == (2, 2, 32, 32)
    for (tap, out_shape), expected in zip(seen, (f1, f2, f3), strict=True):
        torch.testing.assert_close(tap, expected)
        assert out_shape == expected.shape
    # the last decoder block works at 1/2 and takes the 64-channel stem skip besides its 8 + 4 channels
    assert model.decoder.block[3][0][0].in_channels == 8 + 64 + 4


def test_gptnet_and_discriminator_shapes():
    rec, aux = GptNet("random", [8, 8, 8, 8])(torch.randn(2, 3, 32, 32))
    assert rec.shape == aux.shape == (2, 3, 32, 32) and 0 <= rec.min() and rec.max() <= 1
    assert PatchDiscriminator(4)(torch.rand(2, 3, 64, 64)).shape == (2, 1, 4, 4)


def test_frozen_encoder_gets_no_gradient_and_keeps_its_statistics():
    model = build_segnet(Config(image_size=32, decoder_widths=[8, 8, 8, 8], skip_channels=4)).train()
    before = model.encoder.stem[1].running_mean.clone()
    logits, aux = model(torch.rand(2, 3, 32, 32))
    (logits.sum() + aux.sum()).backward()
    assert all(p.grad is None for p in model.encoder.parameters())
    assert model.decoder.head.weight.grad is not None
    assert all(p.grad is not None for p in model.skip_attention.parameters())  # trained, as the code's
    assert torch.equal(model.encoder.stem[1].running_mean, before) and not model.encoder.training


def test_image_score_is_the_mean_of_the_top_pixels():
    prob = torch.rand(3, 1, 64, 64, generator=torch.Generator().manual_seed(0))
    expected = prob.flatten(1).sort(dim=1, descending=True).values[:, :100].mean(1)
    torch.testing.assert_close(top_k_mean(prob, 100), expected)
    assert top_k_mean(prob, 10**6).shape == (3,)


def test_efficientnet_encoder_feeds_segnet_at_the_same_strides():
    encoder = Encoder("random", "efficientnet_lite0").eval()
    feats = encoder(torch.rand(1, 3, 64, 64))
    shapes = [tuple(f.shape[1:]) for f in feats]
    assert shapes == [(32, 32, 32), (16, 32, 32), (24, 16, 16), (40, 8, 8), (112, 4, 4)]
    # the same rule as ResNet18's: the stem convolution without its BN + ReLU6 feeds blocks[0]
    x = imagenet_normalize(torch.rand(1, 3, 64, 64))
    torch.testing.assert_close(encoder(x, normalize=False)[1], encoder.stages[0](encoder.stem[0](x)))
    segnet = build_segnet(Config(image_size=32, backbone="efficientnet_lite0", decoder_widths=[8, 8, 8, 8],
                                 skip_channels=4)).eval()
    logits, aux = segnet(torch.rand(2, 3, 32, 32))
    assert logits.shape == aux.shape == (2, 2, 32, 32)
    rec, aux = GptNet("random", [8, 8, 8, 8], "efficientnet_lite0")(torch.randn(2, 3, 32, 32))
    assert rec.shape == aux.shape == (2, 3, 32, 32)
