"""Resumable training state (synthad.utils.checkpoint) and method weights without a frozen backbone."""

import numpy as np
import pytest
import torch
from torch import nn

from synthad.errors import DataError
from synthad.methods.base import Method
from synthad.methods.checkpoint import WithoutFrozen
from synthad.methods.config_base import MethodConfig
from synthad.utils.checkpoint import load_training_state, save_training_state


def _objects():
    net = nn.Linear(3, 2)
    opt = torch.optim.Adam(net.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
    return {"model": net, "optimizer": opt, "scheduler": sched}


def test_round_trip(tmp_path):
    path = tmp_path / "state.pt"
    torch.manual_seed(0)
    objs, rng = _objects(), np.random.default_rng(3)
    objs["model"](torch.ones(1, 3)).sum().backward()
    objs["optimizer"].step()
    objs["scheduler"].step()
    rng.random(5)
    save_training_state(path, 4, objs, rng, extra={"seed": 1})
    expected_draw = rng.random()
    torch.load(path, weights_only=True)  # plain data only

    fresh, rng2 = _objects(), np.random.default_rng(99)
    assert load_training_state(path, fresh, rng2, extra={"seed": 1}) == 4
    torch.testing.assert_close(fresh["model"].weight, objs["model"].weight)
    assert fresh["scheduler"].get_last_lr() == objs["scheduler"].get_last_lr()
    assert rng2.random() == expected_draw


def test_missing_and_mismatch(tmp_path):
    assert load_training_state(None, _objects()) == 0
    assert load_training_state(tmp_path / "none.pt", _objects()) == 0
    path = tmp_path / "s.pt"
    save_training_state(path, 1, _objects(), extra={"seed": 1})
    with pytest.raises(DataError, match="different run"):
        load_training_state(path, _objects(), extra={"seed": 2})
    path.write_bytes(b"garbage")
    with pytest.raises(DataError, match="cannot read"):
        load_training_state(path, _objects())


def test_without_frozen_leaves_out_the_backbone_parameters_and_checks_the_rest():
    def model():
        torch.manual_seed(0)
        backbone = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
        return torch.nn.Sequential(backbone, torch.nn.Linear(3, 1))

    source = model()
    source[0][1].running_mean.fill_(2.0)  # e.g. calibrated statistics
    state = WithoutFrozen(source, ("0",), "toy").state_dict()
    assert set(state) == {"0.1.running_mean", "0.1.running_var", "0.1.num_batches_tracked",
                          "1.weight", "1.bias"}
    other = model()
    torch.nn.init.zeros_(other[1].weight)
    WithoutFrozen(other, ("0",), "toy").load_state_dict(state)
    assert torch.equal(other[1].weight, state["1.weight"]) and other[0][1].running_mean.eq(2).all()
    with pytest.raises(RuntimeError, match="toy weights do not match.*missing"):
        WithoutFrozen(model(), ("1",), "toy").load_state_dict(state)  # 0.0.weight is not frozen there


class _FrozenBackbone(Method):
    """A method whose model is a frozen "backbone" (``model.0``) and a trained head (``model.1``)."""

    key = "toy"
    Config = MethodConfig
    frozen = ("0",)

    def __init__(self):
        super().__init__(MethodConfig())
        torch.manual_seed(0)
        self.model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))

    def fit(self, train, context):
        raise AssertionError("not trained in these tests")

    def predict(self, images):
        raise AssertionError("not scored in these tests")


def test_the_default_weights_are_the_model_without_its_frozen_submodules():
    method = _FrozenBackbone()
    state = method.state_dict()
    assert list(state) == ["1.weight", "1.bias"]
    fresh = _FrozenBackbone()
    nn.init.zeros_(fresh.model[1].weight)
    fresh.load_state_dict(state)
    assert torch.equal(fresh.model[1].weight, method.model[1].weight) and not fresh.model.training
    with pytest.raises(RuntimeError, match="toy weights do not match the configuration: missing"):
        fresh.load_state_dict({"1.weight": state["1.weight"]})


def test_the_same_state_gives_the_same_bytes_whatever_the_file_name(tmp_path):
    # torch.save to a path writes the (random, temporary) file name into the zip records.
    for name in ("a.pt", "other_name.pt"):
        torch.manual_seed(0)
        save_training_state(tmp_path / name, 2, _objects(), np.random.default_rng(1), extra={"seed": 1})
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "other_name.pt").read_bytes()


def test_a_state_without_an_expected_entry_is_named(tmp_path):
    path = tmp_path / "s.pt"
    save_training_state(path, 1, {"model": nn.Linear(3, 2)})
    with pytest.raises(DataError, match=r"lacks optimizer, scheduler \(written by another version"):
        load_training_state(path, _objects())
