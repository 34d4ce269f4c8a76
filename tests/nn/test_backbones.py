"""Offline backbones: cached ImageNet weights are loaded, a missing file is a clear error."""

import pytest
import torch

from synthad.errors import DataError
from synthad.nn.backbones import (
    BackboneWeightsMissing,
    calibrate_batchnorm,
    freeze,
    imagenet_normalize,
    load_backbone,
    weights_path,
)


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    return tmp_path


def test_missing_weights_name_the_file_and_the_url(torch_home):
    with pytest.raises(BackboneWeightsMissing, match="resnet18-f37072fd.pth") as info:
        load_backbone("resnet18")
    assert str(torch_home / "hub" / "checkpoints") in str(info.value)
    assert "https://download.pytorch.org" in str(info.value) and "'random'" in str(info.value)


def test_cached_weights_are_loaded(torch_home):
    torch.manual_seed(0)
    reference = load_backbone("resnet18", "random")
    path = weights_path("resnet18")
    path.parent.mkdir(parents=True)
    torch.save(reference.state_dict(), path)
    loaded = load_backbone("resnet18", "imagenet")
    torch.testing.assert_close(loaded.conv1.weight, reference.conv1.weight)
    assert not loaded.training


def test_corrupt_cache_file_is_named(torch_home):
    path = weights_path("resnet18")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(BackboneWeightsMissing, match="cannot read"):
        load_backbone("resnet18")


def test_unknown_names_are_errors():
    with pytest.raises(DataError, match="known: efficientnet_lite0, .*resnet18"):
        load_backbone("alexnet", "random")
    with pytest.raises(DataError, match="'imagenet' or 'random'"):
        load_backbone("resnet18", "pretrained")


def test_random_weights_depend_on_the_seed_and_freeze_stops_gradients():
    torch.manual_seed(1)
    a = load_backbone("resnet18", "random")
    torch.manual_seed(1)
    b = load_backbone("resnet18", "random")
    torch.testing.assert_close(a.conv1.weight, b.conv1.weight)
    freeze(a)
    assert not any(p.requires_grad for p in a.parameters())


def test_imagenet_normalize_maps_the_mean_to_zero():
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1).expand(2, 3, 4, 4)
    assert imagenet_normalize(mean).abs().max() < 1e-6


def test_calibrate_batchnorm_sets_the_exact_statistics_of_all_batches():
    net = freeze(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU()))
    images = torch.rand(6, 3, 8, 8, generator=torch.Generator().manual_seed(0)) * 5 + 2
    calibrate_batchnorm(net, [images[:3], images[3:]])  # equal batches: their mean is the mean
    pre = net[0](images).detach()
    torch.testing.assert_close(net[1].running_mean, pre.mean(dim=(0, 2, 3)), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(net[1].running_var, pre.var(dim=(0, 2, 3)), rtol=0.05, atol=1e-4)
    assert not net.training and not net[1].training and not net[0].weight.requires_grad
    out = net[1](pre)
    assert abs(out.mean().item()) < 1e-4 and abs(out.std().item() - 1) < 0.05
