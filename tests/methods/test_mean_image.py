"""Tests of the naive baseline ``mean_image``: exact map definition, shapes, state round trip."""

import io

import pytest
import torch

import synthad.methods.mean_image  # noqa: F401  (registers the method)
from synthad.methods import FitContext, get_method, method_config


class _Images(torch.utils.data.Dataset):
    def __init__(self, images):
        self.images = images

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return {"image": self.images[i]}


def _fitted(images, size=8):
    method = get_method("mean_image")(method_config("mean_image", {"image_size": size, "batch_size": 3}))
    method.fit(_Images(images), FitContext(progress=False))
    return method


def test_registered_with_config():
    cls = get_method("mean_image")
    assert cls.key == "mean_image" and cls.needs == frozenset()
    assert method_config("mean_image", {}).image_size == 256


def test_mean_map_and_score_are_exact():
    gen = torch.Generator().manual_seed(0)
    train = torch.rand(7, 3, 8, 8, generator=gen)
    method = _fitted(train)
    assert torch.allclose(method.state_dict()["mean"], train.mean(0), atol=1e-6)
    test = torch.rand(2, 3, 8, 8, generator=gen)
    pred = method.predict(test)
    expected = (test - train.mean(0)).pow(2).sum(1).sqrt()
    assert pred.maps.shape == (2, 8, 8) and pred.scores.shape == (2,)
    assert torch.allclose(pred.maps, expected, atol=1e-5)
    assert torch.allclose(pred.scores, expected.flatten(1).amax(1), atol=1e-5)


def test_maps_come_back_at_input_size():
    method = _fitted(torch.rand(4, 3, 16, 16), size=8)
    pred = method.predict(torch.rand(3, 3, 20, 12))
    assert pred.maps.shape == (3, 20, 12)


def test_state_dict_round_trip_weights_only():
    method = _fitted(torch.rand(3, 3, 8, 8))
    buffer = io.BytesIO()
    torch.save(method.state_dict(), buffer)
    buffer.seek(0)
    other = get_method("mean_image")(method_config("mean_image", {"image_size": 8}))
    other.load_state_dict(torch.load(buffer, weights_only=True))
    images = torch.rand(2, 3, 8, 8)
    assert torch.equal(other.predict(images).scores, method.predict(images).scores)
    with pytest.raises(ValueError, match="shape"):
        get_method("mean_image")(method_config("mean_image", {"image_size": 16})).load_state_dict(
            method.state_dict())


def test_predict_before_fit_is_an_error():
    with pytest.raises(RuntimeError, match="before fit"):
        get_method("mean_image")().predict(torch.rand(1, 3, 8, 8))
