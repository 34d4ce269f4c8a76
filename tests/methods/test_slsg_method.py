"""SLSG adapter: needs, pre-training hook (file vs inline), encoder hand-over, ablation switches, resume."""

import numpy as np
import pytest
import torch
from method_helpers import Images

from synthad.errors import DataError
from synthad.methods import FitContext, get_method
from synthad.methods.slsg import Config, Slsg
from synthad.synthesis import TrainingPool

TINY = dict(image_size=32, backbone_weights="random", decoder_widths=[8, 8, 8, 8], skip_channels=4,
            disc_width=4, pretrain_epochs=1, pretrain_batch_size=2, steps=2, normal_per_batch=1,
            anomalous_per_batch=1, log_every=1, eval_batch_size=4)


class NoiseTextures:
    """A textures bank stand-in: uniform noise images."""

    def sample(self, rng):
        """One ``(32, 32, 3)`` uint8 noise image."""
        return (rng.random((32, 32, 3)) * 255).astype(np.uint8)


class Context(FitContext):
    """A fit context with an in-memory textures bank that records the kinds asked for."""

    def __init__(self, **kwargs):
        super().__init__(progress=False, **kwargs)
        self.asked, self.rows = [], []
        self.log = self.rows.append

    def bank(self, kind, size):
        """Noise textures whatever the kind."""
        self.asked.append(kind)
        return NoiseTextures()


def test_registered_with_needs_following_the_config():
    assert get_method("slsg") is Slsg and Slsg.has_pretraining
    assert Slsg.needs_for(Config()) == {"foreground_masks", "textures", "pretrained"}
    assert Slsg.needs_for(Config(encoder_init="imagenet")) == {"foreground_masks", "textures"}
    assert Slsg.needs_for(Config(foreground=False, structural=False)) == {"pretrained"}


def test_pretrained_encoder_weights_end_up_in_segnet(tmp_path):
    weights = Slsg(Config(**TINY)).pretrain(Images(4), Context())
    assert set(weights) and all(k.startswith("encoder.") for k in weights)
    torch.save(weights, tmp_path / "pretrained.pt")
    method = Slsg(Config(**TINY))
    method.fit(Images(4), Context(pretrained=tmp_path / "pretrained.pt"))
    encoder = method.model.encoder.state_dict()
    for key, value in weights.items():  # the frozen encoder is exactly GPT-Net's
        torch.testing.assert_close(encoder[key[len("encoder."):]], value)


def test_inline_pretraining_equals_the_pretrain_file(tmp_path):
    images = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(5))
    torch.save(Slsg(Config(**TINY)).pretrain(Images(4), Context()), tmp_path / "pre.pt")
    via_file = Slsg(Config(**TINY))
    via_file.fit(Images(4), Context(pretrained=tmp_path / "pre.pt"))
    inline = Slsg(Config(**TINY))
    context = Context(checkpoint_path=tmp_path / "state.pt")
    inline.fit(Images(4), context)
    assert [r["phase"] for r in context.rows] == [1, 2, 2], "one GPT-Net epoch, then two SegNet steps"
    torch.testing.assert_close(inline.predict(images).maps, via_file.predict(images).maps)
    assert not (tmp_path / "state.pt.gptnet").exists(), "the inline GPT-Net state is cleaned up"


def test_imagenet_or_random_init_skips_pretraining():
    context = Context()
    Slsg(Config(**TINY | {"encoder_init": "random"})).fit(Images(4), context)
    assert {r["phase"] for r in context.rows} == {2}


def test_a_foreign_pretrained_file_is_a_clear_error(tmp_path):
    torch.save({"encoder.nonsense": torch.zeros(1)}, tmp_path / "bad.pt")
    with pytest.raises(DataError, match="bad.pt"):
        Slsg(Config(**TINY)).fit(Images(4), Context(pretrained=tmp_path / "bad.pt"))


@pytest.mark.parametrize(("overrides", "kinds", "textures"), [
    ({}, {"logical", "texture", "permuted"}, True),
    ({"logical": False}, {"texture", "permuted"}, True),
    ({"structural": False}, {"logical"}, False),
    ({"texture_prob": 0.0}, {"logical", "permuted"}, False),
])
def test_simulation_switches_reach_the_synthesizer(overrides, kinds, textures):
    method = Slsg(Config(**TINY | overrides))
    context = Context()
    synth = method._synthesizer(context)
    pool = TrainingPool(np.random.default_rng(0).random((4, 32, 32, 3)))
    rng = np.random.default_rng(0)
    drawn = {synth(pool, i % 4, rng).kind for i in range(60)} - {"normal"}
    assert drawn == kinds and (context.asked == ["textures"]) == textures


def test_foreground_switch_reaches_the_synthesizer():
    assert Slsg(Config(**TINY))._synthesizer(Context()).foreground
    assert not Slsg(Config(**TINY | {"foreground": False}))._synthesizer(Context()).foreground


def test_resume_continues_where_training_stopped(tmp_path):
    images = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    full = Slsg(Config(**TINY | {"steps": 4, "encoder_init": "random"}))
    full.fit(Images(4), Context())
    first = Slsg(Config(**TINY | {"steps": 4, "encoder_init": "random"}))
    ctx = Context(checkpoint_path=tmp_path / "s.pt", checkpoint_every=1)
    ctx.log = lambda row: (_ for _ in ()).throw(KeyboardInterrupt) if row["step"] == 3 else None
    with pytest.raises(KeyboardInterrupt):
        first.fit(Images(4), ctx)
    resumed = Slsg(Config(**TINY | {"steps": 4, "encoder_init": "random"}))
    context = Context(checkpoint_path=tmp_path / "s.pt")
    resumed.fit(Images(4), context)
    assert [r["step"] for r in context.rows] == [1, 2, 3, 4]  # steps 1-2 replayed from the checkpoint
    torch.testing.assert_close(resumed.predict(images).scores, full.predict(images).scores)


def test_predict_scores_are_the_top_pixel_mean_of_the_maps():
    method = Slsg(Config(**TINY | {"encoder_init": "random", "score_top_k": 400}))  # 400 * (32/256)^2 = 6
    method.fit(Images(4), Context())
    pred = method.predict(torch.rand(3, 3, 32, 32))
    expected = pred.maps.flatten(1).topk(6, dim=1).values.mean(1)
    torch.testing.assert_close(pred.scores, expected)
