"""DRAEM adapter: contract on tiny images, weights round trip, resume determinism, config checks."""

import pytest
import torch
from method_helpers import Images

from synthad.config import build
from synthad.errors import ConfigError, DataError
from synthad.methods import FitContext, get_method
from synthad.methods.draem import Config, Draem
from synthad.methods.draem.model import DraemModel
from synthad.methods.inference import score_kernel_size

TINY = dict(image_size=32, rec_base_width=4, disc_base_width=4, batch_size=2, epochs=2)


@pytest.fixture(scope="module")
def textures(banks):
    return {"textures": banks["textures"]}


def _fit(textures, tmp_path=None, epochs=2, seed=0, rows=None, every=1):
    method = Draem(Config(**(TINY | {"epochs": epochs})))
    ctx = FitContext(seed=seed, banks=textures, progress=False, checkpoint_every=every,
                     checkpoint_path=tmp_path / "state.pt" if tmp_path else None,
                     log=(rows.append if rows is not None else lambda r: None))
    method.fit(Images(), ctx)
    return method


def test_registered_and_paper_defaults():
    assert get_method("draem") is Draem and Draem.needs == frozenset({"textures"})
    cfg = Config()
    assert (cfg.epochs, cfg.batch_size, cfg.lr, cfg.image_size) == (700, 8, 1e-4, 256)
    assert ((cfg.rec_base_width, cfg.disc_base_width, cfg.lr_milestones, cfg.lr_gamma)
            == (128, 64, [0.8, 0.9], 0.2))


def test_config_validation():
    assert build(Config, {"lr": "1e-3", "epochs": 3}, "draem").lr == 1e-3
    with pytest.raises(ConfigError, match="multiple of 32"):
        build(Config, {"image_size": 50}, "draem")
    with pytest.raises(ConfigError, match="unknown key"):
        build(Config, {"learning_rate": 1}, "draem")


def test_model_shapes():
    rec, logits = DraemModel(4, 4)(torch.rand(2, 3, 64, 64))
    assert rec.shape == (2, 3, 64, 64) and logits.shape == (2, 2, 64, 64)


def test_fit_predict_contract(textures, tmp_path):
    rows = []
    method = _fit(textures, rows=rows)
    assert [r["epoch"] for r in rows] == [1, 2]
    assert {"loss", "l2", "ssim", "focal", "lr", "seconds"} <= set(rows[0])
    pred = method.predict(torch.rand(3, 3, 40, 56))
    assert pred.scores.shape == (3,) and pred.maps.shape == (3, 40, 56)
    assert torch.isfinite(pred.scores).all() and torch.isfinite(pred.maps).all()
    assert pred.maps.min() >= 0 and pred.maps.max() <= 1

    torch.save(method.state_dict(), tmp_path / "model.pt")
    other = Draem(Config(**TINY))
    other.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True))
    again = other.predict(torch.rand(3, 3, 40, 56, generator=torch.Generator().manual_seed(1)))
    ref = method.predict(torch.rand(3, 3, 40, 56, generator=torch.Generator().manual_seed(1)))
    torch.testing.assert_close(again.maps, ref.maps)


def test_score_kernel_scaling():
    assert score_kernel_size(Config()) == 21
    assert score_kernel_size(Config(image_size=64)) == 5
    assert score_kernel_size(Config(image_size=96)) == 9  # round(7.9) = 8 -> next odd
    assert score_kernel_size(Config(image_size=64, scale_score_kernel=False)) == 21


def test_missing_textures_is_an_error():
    with pytest.raises(DataError, match="no 'textures' anomaly bank"):
        Draem(Config(**TINY)).fit(Images(), FitContext(progress=False))


def test_anomaly_source_selects_the_bank(banks):
    assert Draem.needs_for(Config(anomaly_source="sdas")) == frozenset({"sdas"})
    # The SDAS bank feeds DRAEM's synthesis through the same interface as textures.
    method = Draem(Config(**TINY, anomaly_source="sdas"))
    method.fit(Images(), FitContext(seed=0, banks={"sdas": banks["sdas"]}, progress=False))
    with pytest.raises(DataError, match="'sdas'"):
        draem = Draem(Config(**TINY, anomaly_source="sdas"))
        draem.fit(Images(), FitContext(banks={"textures": banks["textures"]}, progress=False))


def test_resume_matches_uninterrupted_run(textures, tmp_path):
    torch.set_num_threads(1)  # bit-exact comparison needs a fixed reduction order
    full = _fit(textures, epochs=3, seed=5).state_dict()

    resumed_rows = []
    # Crash inside epoch 2 (before its checkpoint): the state of epoch 1 is on disk.
    prefix = Draem(Config(**(TINY | {"epochs": 3})))
    ctx = FitContext(seed=5, banks=textures, progress=False, checkpoint_path=tmp_path / "state.pt")

    class Stop(Exception):
        pass

    def stop_after_two(row):
        if row["epoch"] == 2:
            raise Stop
    ctx.log = stop_after_two
    with pytest.raises(Stop):
        prefix.fit(Images(), ctx)
    resumed = Draem(Config(**(TINY | {"epochs": 3})))
    ctx.log = resumed_rows.append
    resumed.fit(Images(), ctx)
    assert [r["epoch"] for r in resumed_rows] == [2, 3]  # the epoch that crashed before saving re-runs
    for key, value in full.items():
        torch.testing.assert_close(resumed.state_dict()[key], value, rtol=0, atol=0)
