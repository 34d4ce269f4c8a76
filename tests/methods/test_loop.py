"""The shared resumable epoch loop (synthad.methods.loop)."""

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from synthad.errors import DataError, TrainingDiverged
from synthad.methods.base import FitContext
from synthad.methods.loop import EpochLoop, fit_identity
from synthad.utils.checkpoint import load_training_state


def _run(context: FitContext, total: int, stop_after: int | None = None, seed: int = 0) -> list[float]:
    """Train a linear layer one "epoch" per step; return the loss of each epoch run."""
    torch.manual_seed(seed)
    net = nn.Linear(2, 1)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    rng = np.random.default_rng(seed)
    loop = EpochLoop(context, total, "toy", {"net": net, "opt": opt}, rng, {"seed": seed})
    losses = []
    for epoch in loop:
        x = torch.as_tensor(rng.normal(size=(8, 2)), dtype=torch.float32)
        loss = ((net(x) - x.sum(1, keepdim=True)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        loop.log({"epoch": epoch + 1, "loss": loss.item()}, "epoch", "loss")
        if stop_after is not None and epoch + 1 == stop_after:
            break  # an interruption: the body of this epoch ran, its save did not
    return losses


def test_logs_every_epoch_and_saves_on_cadence_and_at_the_end(tmp_path):
    rows = []
    path = tmp_path / "state.pt"
    context = FitContext(checkpoint_path=path, checkpoint_every=3, log=rows.append, progress=False)
    _run(context, total=4, stop_after=3)
    assert [row["epoch"] for row in rows] == [1, 2, 3]
    assert not path.exists()  # epoch 3's save comes after its body; the break skipped it
    _run(context, total=4)
    assert load_training_state(path, {}) == 4  # saved at 3 (cadence) and at 4 (the last)


def test_checkpoint_seconds_skips_saves_until_enough_time_passed(tmp_path, monkeypatch):
    saved = []
    monkeypatch.setattr(EpochLoop, "save", lambda self, done: saved.append(done))
    clock = iter(range(0, 1000, 10))  # every reading of the clock is 10 s after the previous one
    monkeypatch.setattr("synthad.methods.loop.time.monotonic", lambda: next(clock))
    context = FitContext(checkpoint_path=tmp_path / "state.pt", checkpoint_seconds=25, progress=False)
    _run(context, total=6)
    # Clock readings: 0 at the start, one after each epoch and one after each save; epoch 3 comes
    # 30 s after the start, epochs 4 and 5 only 10 and 20 s after the save; the last is always saved.
    assert saved == [3, 6]
    saved.clear()
    _run(FitContext(checkpoint_path=tmp_path / "other.pt", checkpoint_seconds=0, progress=False), total=3)
    assert saved == [1, 2, 3]


def test_resume_continues_the_same_run(tmp_path):
    uninterrupted = _run(FitContext(progress=False), total=5)
    path = tmp_path / "state.pt"
    context = FitContext(checkpoint_path=path, checkpoint_every=1, progress=False)
    first = _run(context, total=5, stop_after=3)
    assert load_training_state(path, {}) == 2
    rest = _run(context, total=5)
    assert first[:2] + rest == pytest.approx(uninterrupted)  # epoch 3 is redone, identically


def test_no_checkpoint_file_saves_nothing(tmp_path):
    loop = EpochLoop(FitContext(progress=False), 2, "toy", {}, np.random.default_rng(0), {})
    assert loop.start == 0
    assert list(loop) == [0, 1]
    loop.save(2)
    assert list(tmp_path.iterdir()) == []


def test_a_state_of_another_run_is_refused(tmp_path):
    context = FitContext(checkpoint_path=tmp_path / "state.pt", progress=False)
    _run(context, total=2, seed=0)
    with pytest.raises(DataError, match="different run"):
        _run(context, total=2, seed=1)


def test_fit_identity_names_config_seed_and_extras():
    @dataclasses.dataclass
    class Cfg:
        lr: float = 1e-3

    assert fit_identity(Cfg(), 2, 80, n_sources=3) == {"config": {"lr": 1e-3}, "seed": 2, "n_train": 80,
                                                     "n_sources": 3}
    assert fit_identity(Cfg(lr=1e-4), 2, 80) != fit_identity(Cfg(), 2, 80)


def test_seed_generators_repeat_torch_and_numpy_draws():
    context = FitContext(seed=5)
    first = (context.seed_generators().random(), torch.rand(1).item())
    second = (context.seed_generators().random(), torch.rand(1).item())
    assert first == second
    assert FitContext(seed=6).seed_generators().random() != first[0]


def test_a_phase_checkpoint_replaces_the_contexts_and_none_disables_it(tmp_path):
    context = FitContext(checkpoint_path=tmp_path / "main.pt", progress=False)
    objects, rng = {"net": nn.Linear(1, 1)}, np.random.default_rng(0)
    list(EpochLoop(context, 2, "phase", objects, rng, {}, checkpoint=tmp_path / "phase.pt"))
    assert load_training_state(tmp_path / "phase.pt", {}) == 2 and not (tmp_path / "main.pt").exists()
    list(EpochLoop(context, 2, "off", objects, rng, {}, checkpoint=None))
    assert not (tmp_path / "main.pt").exists()


def test_a_non_finite_loss_stops_naming_the_loop_epoch_and_step(tmp_path):
    context = FitContext(checkpoint_path=tmp_path / "state.pt", progress=False)
    loop = EpochLoop(context, 3, "toy", {}, np.random.default_rng(0), {})
    with pytest.raises(TrainingDiverged, match=r"^toy: loss is nan at epoch 2, step 3; lower the learning"):
        for epoch in loop:
            for step in range(3):
                bad = epoch == 1 and step == 2
                loop.check_loss(torch.tensor(float("nan") if bad else 1.0), step)
    assert load_training_state(tmp_path / "state.pt", {}) == 1, "the last good epoch's state stays"
    with pytest.raises(TrainingDiverged, match="generator loss is inf"):
        loop.check_loss(torch.tensor(float("inf")), 0, "generator loss")


def test_a_resume_replays_the_log_and_carries_seconds_and_resumes_over(tmp_path, capsys):
    path = tmp_path / "state.pt"
    first = FitContext(checkpoint_path=path, progress=False)
    _run(first, total=4, stop_after=3)  # epochs 1-2 saved, epoch 3 lost with the "kill"
    saved_seconds = torch.load(path, weights_only=True)["objects"]["run_record"]["seconds"]
    assert saved_seconds > 0
    rows = []
    second = FitContext(checkpoint_path=path, log=rows.append, progress=False)
    _run(second, total=4)
    assert [row["epoch"] for row in rows] == [1, 2, 3, 4], "the two saved rows are replayed first"
    assert rows[:2] == first.record.rows[:2]
    assert second.record.resumes == [{"loop": "toy", "after_epoch": 2, "of": 4}]
    assert second.record.seconds() > saved_seconds
    assert f"toy: resuming from {path} after epoch 2 of 4" in capsys.readouterr().err


def test_logged_values_become_plain_numbers():
    rows = []
    loop = EpochLoop(FitContext(log=rows.append, progress=False), 1, "toy", {}, np.random.default_rng(0), {})
    loop.log({"epoch": np.int64(1), "loss": torch.tensor(0.5), "lr": np.float64(0.1)})
    assert rows == [{"epoch": 1, "loss": 0.5, "lr": 0.1}]
    assert [type(v) for v in rows[0].values()] == [int, float, float]


def test_trained_modules_are_channels_last_on_the_cpu_and_keep_their_parameters():
    conv, linear = nn.Conv2d(3, 4, 3), nn.Linear(2, 1)
    opt = torch.optim.Adam(list(conv.parameters()) + list(linear.parameters()), lr=0.1)
    params = [id(p) for p in conv.parameters()]
    before = conv.weight.detach().clone()
    context = FitContext(checkpoint_path=None, progress=False)
    EpochLoop(context, 1, "toy", {"conv": conv, "linear": linear, "opt": opt}, np.random.default_rng(0), {})
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert not conv.weight.is_contiguous()  # really NHWC, not a layout both formats accept
    assert torch.equal(conv.weight, before) and [id(p) for p in conv.parameters()] == params
    conv(torch.randn(2, 3, 8, 8)).sum().backward()
    opt.step()  # the optimiser built before the conversion still updates the model's weights
    assert not torch.equal(conv.weight, before)
