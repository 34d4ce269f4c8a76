"""The contract test every registered method must pass (docs/method-contract.md).

Parametrised over the registry, so a new method is covered as soon as it is registered. Each
method trains for a moment on tiny real photographs (32x32), then must return scores ``(B,)`` and
maps ``(B, H, W)`` at the input size, be deterministic for a seed, and survive a
``state_dict`` round trip through ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import dataclasses
import importlib
import typing

import pytest
import torch
from tiny_methods import SIZE, TINY

from synthad.data.loader import ImageDataset
from synthad.methods import FitContext, get_method, list_methods, method_config
from synthad.methods.config_base import MethodConfig

# Other tests register throw-away fakes under "_test_*" keys; the contract covers real methods.
METHODS = [key for key in list_methods() if not key.startswith("_")]


def _fit(key, tiny_index, banks, tmp_path, seed=0):
    config = method_config(key, TINY.get(key, {}))
    method = get_method(key)(config, "cpu")
    train = ImageDataset(tiny_index[tiny_index["split"] == "train"], SIZE)
    context = FitContext(seed=seed, checkpoint_path=tmp_path / f"state{seed}.pt", banks=banks,
                         progress=False)
    torch.manual_seed(seed)
    method.fit(train, context)
    return method


def _test_batch(tiny_index):
    test = ImageDataset(tiny_index[tiny_index["split"] == "test"], 40)
    return torch.stack([test[i]["image"] for i in range(len(test))])


def test_every_method_has_a_tiny_config():
    assert set(METHODS) <= set(TINY), "add the new method to TINY"


@pytest.mark.parametrize("key", METHODS)
def test_config_defaults_build(key):
    cls = get_method(key)
    assert dataclasses.is_dataclass(cls.Config)
    assert method_config(key, {}) == cls.Config()
    known = {"foreground_masks", "textures", "natural", "sdas", "dataset_images", "pretrained"}
    assert cls.needs_for(cls.Config()) <= known


@pytest.mark.parametrize("key", METHODS)
def test_config_is_in_the_package_config_module_on_the_shared_base(key):
    config = get_method(key).Config
    assert config.__module__ == f"synthad.methods.{key}.config"
    assert importlib.import_module(f"synthad.methods.{key}").Config is config
    assert issubclass(config, MethodConfig)
    assert all(f.kw_only for f in dataclasses.fields(config)), "Configs are built from keywords only"


@pytest.mark.parametrize("key", METHODS)
def test_config_redeclares_a_shared_field_only_to_change_it(key):
    config = get_method(key).Config
    hints = typing.get_type_hints(config, include_extras=True)
    for base in config.__mro__[1:]:
        if not dataclasses.is_dataclass(base):
            continue
        base_hints = typing.get_type_hints(base, include_extras=True)
        for f in dataclasses.fields(base):
            if f.name in config.__annotations__:  # redeclared: a new default or a new range
                changed = (config.__dataclass_fields__[f.name].default, hints[f.name]) != (
                    f.default, base_hints[f.name])
                assert changed, f"{key}.{f.name} is redeclared as in {base.__name__}"


@pytest.mark.parametrize("key", METHODS)
def test_fit_predict_contract(key, tiny_index, banks, tmp_path):
    method = _fit(key, tiny_index, banks, tmp_path)
    images = _test_batch(tiny_index)  # 40x40: not the training size, maps must follow the input
    pred = method.predict(images)
    assert pred.scores.shape == (len(images),)
    assert pred.maps.shape == (len(images), 40, 40)
    assert torch.isfinite(pred.scores).all() and torch.isfinite(pred.maps).all()


@pytest.mark.parametrize("key", METHODS)
def test_state_dict_round_trip(key, tiny_index, banks, tmp_path):
    method = _fit(key, tiny_index, banks, tmp_path)
    torch.save(method.state_dict(), tmp_path / "model.pt")
    fresh = get_method(key)(method.config, "cpu")
    fresh.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True))
    images = _test_batch(tiny_index)
    torch.testing.assert_close(fresh.predict(images).maps, method.predict(images).maps)


@pytest.mark.parametrize("key", METHODS)
def test_same_seed_same_model(key, tiny_index, banks, tmp_path):
    images = _test_batch(tiny_index)
    first = _fit(key, tiny_index, banks, tmp_path / "a").predict(images).scores
    second = _fit(key, tiny_index, banks, tmp_path / "b").predict(images).scores
    torch.testing.assert_close(first, second)


BACKBONE_FIELDS = [("realnet", "backbone"), ("imm_alm", "backbone"), ("slsg", "backbone"),
                   ("patchcore", "backbone"), ("ndpnet", "perceptual_backbone")]


@pytest.mark.parametrize("key, field", BACKBONE_FIELDS)
def test_an_unknown_backbone_is_an_error_naming_the_field(key, field):
    with pytest.raises(ValueError, match=f"{field} must be .*efficientnet_lite0.*got 'alexnet'"):
        get_method(key).Config(**{field: "alexnet"})
