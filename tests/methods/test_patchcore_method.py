"""PatchCore's parts against hand computations, and a tiny fit that must find a pasted square."""

import math

import pytest
import torch
from method_helpers import Images

from synthad.errors import DataError
from synthad.methods import FitContext
from synthad.methods.patchcore import Config, PatchCore
from synthad.methods.patchcore.coreset import coreset_size, greedy_coreset, random_projection
from synthad.methods.patchcore.features import aggregate, pool_channels
from synthad.methods.patchcore.scoring import image_scores, nearest, smooth

TINY = {"image_size": 64, "backbone": "efficientnet_lite0", "strides": [4, 8], "pretrain_embed_dim": 32,
        "target_embed_dim": 32, "batch_size": 4}


def _brute_force_k_center(points, first, n):
    """k-center greedy by its definition: each step the point farthest from its nearest chosen point."""
    chosen = [first]
    while len(chosen) < n:
        to_chosen = (points[:, None].double() - points[chosen][None].double()).norm(dim=-1)  # (N, k)
        chosen.append(int(to_chosen.min(dim=1).values.argmax()))
    return chosen


def test_greedy_coreset_matches_brute_force_k_center():
    points = torch.rand(40, 2, generator=torch.Generator().manual_seed(3)) * 10
    chosen = greedy_coreset(points, 12, torch.Generator().manual_seed(0))
    assert chosen.tolist() == _brute_force_k_center(points, int(chosen[0]), 12)
    assert len(set(chosen.tolist())) == 12


def test_greedy_coreset_start_follows_the_seed_and_never_repeats():
    points = torch.rand(50, 3, generator=torch.Generator().manual_seed(1))
    first = greedy_coreset(points, 5, torch.Generator().manual_seed(7))
    assert torch.equal(first, greedy_coreset(points, 5, torch.Generator().manual_seed(7)))
    starts = {int(greedy_coreset(points, 1, torch.Generator().manual_seed(s))[0]) for s in range(10)}
    assert len(starts) > 1
    duplicates = torch.zeros(6, 2)  # every distance 0: still 6 distinct indices
    assert sorted(greedy_coreset(duplicates, 6, torch.Generator().manual_seed(0)).tolist()) == list(range(6))


def test_random_projection_keeps_distances_roughly_and_skips_low_dimensions():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(20, 512, generator=gen)
    y = random_projection(x, 128, gen)
    assert y.shape == (20, 128)
    ratio = torch.pdist(y) / torch.pdist(x)
    assert 0.7 < ratio.min() and ratio.max() < 1.3  # Johnson-Lindenstrauss at 128 dims
    assert torch.equal(random_projection(x[:, :64], 128, gen), x[:, :64])
    assert coreset_size(1000, 0.1) == 100 and coreset_size(5, 0.01) == 1 and coreset_size(7, 1.0) == 7


def _hand_bank():
    bank = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [5.0, 5.0], [6.0, 5.0]])
    queries = torch.tensor([[[0.0, -0.5], [5.0, 5.1], [1.0, 0.1]]])  # (B=1, P=3, D=2); patch 0 is the max
    dist, idx = nearest(queries[0], bank)
    return bank, queries, dist[None], idx[None]


def test_reweighting_is_one_minus_the_softmax_entry_of_m_star():
    bank, queries, dist, idx = _hand_bank()
    assert idx[0].tolist() == [0, 3, 1]
    torch.testing.assert_close(dist[0], torch.tensor([0.5, 0.1, 0.1]))
    # m* = (0, 0); its 3 nearest bank features: itself, (1, 0), (0, 1); distances to m_test* = (0, -0.5)
    d = [0.5, math.sqrt(1.25), 1.5]
    weight = 1 - math.exp(d[0]) / sum(math.exp(v) for v in d)
    score = image_scores(queries, dist, idx, bank, neighbours=3, reweight=True)
    torch.testing.assert_close(score, torch.tensor([weight * 0.5]))
    plain = image_scores(queries, dist, idx, bank, neighbours=3, reweight=False)
    torch.testing.assert_close(plain, torch.tensor([0.5]))


def test_reweighting_is_stable_for_large_distances():
    bank, queries, dist, idx = _hand_bank()
    far = image_scores(queries * 1000, dist * 1000, idx, bank * 1000, neighbours=3, reweight=True)
    assert torch.isfinite(far).all()
    torch.testing.assert_close(far, torch.tensor([500.0]))  # m* isolated: weight -> 1


def test_aggregate_pools_neighbourhoods_channels_and_upsamples():
    x = torch.arange(8.0).reshape(1, 8, 1, 1).expand(1, 8, 4, 4)
    torch.testing.assert_close(pool_channels(x, 4)[0, :, 0, 0], torch.tensor([0.5, 2.5, 4.5, 6.5]))
    fine, coarse = torch.rand(2, 6, 8, 8), torch.rand(2, 10, 4, 4)
    out = aggregate([fine, coarse], neighbourhood=1, pretrain_dim=6, target_dim=16)
    assert out.shape == (2, 16, 8, 8)
    up = torch.nn.functional.interpolate(pool_channels(coarse, 6), size=(8, 8), mode="bilinear")
    torch.testing.assert_close(out, pool_channels(torch.cat([fine, up], 1), 16))
    local = aggregate([fine], neighbourhood=3, pretrain_dim=6, target_dim=6)
    torch.testing.assert_close(local[:, :, 3, 3], fine[:, :, 2:5, 2:5].mean(dim=(2, 3)))


def test_smoothing_keeps_a_constant_map_and_spreads_a_peak():
    torch.testing.assert_close(smooth(torch.full((1, 1, 16, 16), 2.0), 1.0), torch.full((1, 1, 16, 16), 2.0))
    peak = torch.zeros(1, 1, 16, 16)
    peak[..., 8, 8] = 1
    out = smooth(peak, 1.0)
    assert out[..., 8, 8] < 1 and out[..., 8, 9] > 0 and out.argmax() == peak.argmax()
    assert torch.equal(smooth(peak, 0.0), peak)


def _fit(images, seed=0, **overrides):
    method = PatchCore(Config(**(TINY | overrides)))
    rows = []
    method.fit(images, FitContext(seed=seed, progress=False, log=rows.append))
    return method, rows


def test_a_training_patch_is_at_distance_zero_from_an_uncompressed_bank():
    train = Images(n=3, size=64)
    method, rows = _fit(train, coreset_ratio=1.0)
    assert rows[0]["bank_size"] == rows[0]["n_patches"] == 3 * 16 * 16
    feats = method._embed(train.x)  # the batch fit saw, so the features are bit-identical
    dist, _ = nearest(feats.permute(0, 2, 3, 1).reshape(-1, feats.shape[1]), method.bank)
    assert dist.abs().max() == 0
    # a batch of one differs in the last bits of the convolutions only
    novel = Images(n=4, size=64).x[3:] * 0.5
    scores = method.predict(torch.cat([train.x[1:2], novel])).scores
    assert scores[0] < 1e-3 * scores[1]


def test_fit_is_deterministic_and_keeps_the_coreset_ratio():
    train = Images(n=4, size=64)
    first, rows = _fit(train, seed=3)
    assert rows[0]["bank_size"] == len(first.bank) == int(4 * 16 * 16 * 0.1)
    assert torch.equal(first.bank, _fit(train, seed=3)[0].bank)
    assert set(first.state_dict()) == {"bank"}  # no backbone parameters


def _textures(n, seed):
    """Smooth random stripes: the 'normal' class, each image a little different."""
    gen = torch.Generator().manual_seed(seed)
    ys, xs = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    out = []
    for _ in range(n):
        phase, freq = torch.rand(2, generator=gen)
        stripes = 0.5 + 0.2 * torch.sin(xs * (0.4 + 0.1 * freq) + 6 * phase + 0.05 * ys)
        out.append(stripes.expand(3, 64, 64) * torch.tensor([0.6, 0.5, 0.4])[:, None, None])
    return torch.stack(out)


def test_a_pasted_bright_square_scores_higher_and_the_map_peaks_in_it():
    train = Images(n=6, size=64)
    train.x = _textures(6, seed=0)
    method, _ = _fit(train)
    test = _textures(2, seed=1)
    test[1, :, 24:40, 28:44] = 1.0
    pred = method.predict(test)
    assert pred.scores[1] > 2 * pred.scores[0]
    row, col = divmod(int(pred.maps[1].argmax()), 64)
    assert 24 <= row < 40 and 28 <= col < 44
    assert pred.maps.shape == (2, 64, 64)


def test_config_rejects_bad_values():
    with pytest.raises(DataError, match="stride"):
        Config(backbone="efficientnet_lite0", strides=[64])
    for bad in ({"coreset_ratio": 0.0}, {"neighbourhood": 2}, {"reweight_neighbours": 1}, {"map_sigma": -1.0},
                {"target_embed_dim": 0}, {"backbone": "vgg"}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            Config(**bad)
    assert Config(image_size=128).sigma == 2.0 and Config(image_size=128, scale_map_sigma=False).sigma == 4.0
