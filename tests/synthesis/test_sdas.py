"""SDAS sampling (synthad.synthesis.sdas).

Strength-inflated DDPM steps, class labels, the guidance shift, the sampler, the configuration.
"""

import math

import numpy as np
import pytest
import torch
from diffusers import DDPMScheduler

from synthad.synthesis.ddpm import build_scheduler, build_unet
from synthad.synthesis.sdas import StrengthScheduler, draw_strengths, reverse_step, sdas_sample
from synthad.synthesis.sdas_config import SdasConfig

VARIANCES = ["learned_range", "fixed_small"]


def tiny_config(variance: str = "learned_range", **kw) -> SdasConfig:
    return SdasConfig(image_size=16, block_out_channels=[32, 32], attention_resolutions=[8],
                      attention_head_dim=32, layers_per_block=1, variance_type=variance,
                      classifier_block_out_channels=[32, 32], **kw)


@pytest.fixture(scope="module", params=VARIANCES)
def model(request):
    """A randomly initialised tiny U-Net and its scheduler, respaced to 20 steps."""
    torch.manual_seed(0)
    cfg = tiny_config(request.param)
    scheduler = build_scheduler(cfg)
    scheduler.set_timesteps(20)
    return build_unet(cfg).eval(), scheduler


def posterior_mean_and_std(scheduler, output, t, x):
    """The reverse-step mean (clipped x0) and noise std, written out from the DDPM formulas."""
    prev = int(scheduler.previous_timestep(t))
    abar = scheduler.alphas_cumprod[t].double()
    abar_prev = scheduler.alphas_cumprod[prev].double() if prev >= 0 else torch.tensor(1.0).double()
    beta = 1 - abar / abar_prev
    eps, v = output[:, :3].double(), output[:, 3:].double()
    x0 = ((x.double() - (1 - abar).sqrt() * eps) / abar.sqrt()).clamp(-1, 1)
    mean = abar_prev.sqrt() * beta / (1 - abar) * x0 + (1 - beta).sqrt() * (1 - abar_prev) / (1 - abar) * x
    post_var = beta * (1 - abar_prev) / (1 - abar)
    if prev < 0:  # last step: no noise
        return mean, torch.zeros(())
    if scheduler.config.variance_type == "fixed_small":
        return mean, post_var.sqrt()
    frac = (v + 1) / 2
    return mean, torch.exp(0.5 * (frac * beta.log() + (1 - frac) * post_var.log()))


def test_leading_spacing_is_realnets_respacing():
    scheduler = build_scheduler(SdasConfig())
    scheduler.set_timesteps(20)
    assert scheduler.timesteps.tolist() == list(range(950, -1, -50))


@torch.no_grad()
def test_zero_strength_matches_stock_ddpm_step_for_step(model):
    unet, ours = model
    stock = DDPMScheduler.from_config(ours.config)
    stock.set_timesteps(20)
    x = torch.randn(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    for k, t in enumerate(ours.timesteps):
        output = unet(x, t).sample
        a = stock.step(output, t, x, generator=torch.Generator().manual_seed(k)).prev_sample
        b = ours.step(output, t, x, generator=torch.Generator().manual_seed(k)).prev_sample
        assert torch.equal(a, b)
        x = a


@pytest.mark.parametrize("strength", [0.15, torch.tensor([0.0, 0.1, 0.2, 1.0])])
@torch.no_grad()
def test_strength_inflates_injected_noise_by_sqrt_one_plus_s(model, strength):
    unet, scheduler = model
    ours = StrengthScheduler.from_config(scheduler.config)
    ours.set_timesteps(20)
    ours.strength = strength
    factor = torch.sqrt(1 + torch.as_tensor(strength, dtype=torch.float64)).reshape(-1, 1, 1, 1)
    x = torch.randn(4, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    for k, t in enumerate(scheduler.timesteps):
        output = unet(x, t).sample
        mean, std = posterior_mean_and_std(scheduler, output, t, x)
        plain = scheduler.step(output, t, x, generator=torch.Generator().manual_seed(k)).prev_sample
        raised = ours.step(output, t, x, generator=torch.Generator().manual_seed(k)).prev_sample
        z = torch.randn(x.shape, generator=torch.Generator().manual_seed(k)).double()
        torch.testing.assert_close(plain - mean, std * z, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(raised - mean, factor * (plain - mean), rtol=1e-4, atol=1e-5)
        x = raised


def test_unsupported_variance_type_is_rejected():
    scheduler = StrengthScheduler(variance_type="fixed_large")
    x = torch.zeros(1, 3, 4, 4)
    with pytest.raises(ValueError, match="variance_type"):
        scheduler.step(x, 999, x)


def test_strengths_are_drawn_once_per_group():
    s = draw_strengths(40, (0.1, 0.2), 16, seed=3)
    assert s.shape == (40,) and s.dtype == np.float32
    assert len(np.unique(s[:16])) == 1 and len(np.unique(s[16:32])) == 1 and len(np.unique(s)) == 3
    assert ((s >= 0.1) & (s <= 0.2)).all()
    np.testing.assert_array_equal(s, draw_strengths(40, (0.1, 0.2), 16, seed=3))
    assert (draw_strengths(5, 0.0, 16, seed=0) == 0).all()
    with pytest.raises(ValueError, match="strength"):
        draw_strengths(5, (0.3, 0.1), 16, seed=0)


def test_sampler_is_seeded_and_independent_of_batching(model):
    unet, scheduler = model
    run = dict(strength=(0.1, 0.2), progress=False, strength_batch=2)
    a, sa = sdas_sample(unet, scheduler, 5, seed=7, batch_size=5, **run)
    b, sb = sdas_sample(unet, scheduler, 5, seed=7, batch_size=2, **run)
    c, _ = sdas_sample(unet, scheduler, 5, seed=8, batch_size=5, **run)
    assert a.shape == (5, 16, 16, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(sa, sb)
    assert np.abs(a.astype(int) - b).max() <= 1  # batched convolutions may round differently
    assert not np.array_equal(a, c)
    assert scheduler.timesteps.tolist() == list(range(950, -1, -50))  # the caller's scheduler is untouched


def test_zero_strength_sampler_reports_zero_strengths(model):
    unet, scheduler = model
    images, strengths = sdas_sample(unet, scheduler, 2, 0.0, seed=0, progress=False)
    assert images.shape == (2, 16, 16, 3) and (strengths == 0).all()


def test_paper_defaults():
    cfg = SdasConfig()
    assert cfg.block_out_channels == [256, 256, 512, 512, 1024, 1024]
    assert cfg.attention_resolutions == [32, 16, 8] and cfg.attention_head_dim == 64
    assert (cfg.num_train_timesteps, cfg.sampling_steps, cfg.variance_type) == (1000, 20, "learned_range")
    assert (cfg.strength_min, cfg.strength_max, cfg.strength_batch, cfg.n_samples) == (0.1, 0.2, 16, 10000)
    assert cfg.guidance_scale == 1.0 and cfg.classifier_block_out_channels == [128, 128, 256, 256, 512, 512]
    assert (cfg.classifier_train_steps, cfg.classifier_batch_size) == (39000, 40)
    assert cfg.init_checkpoint is None and cfg.classifier_init_checkpoint is None
    assert cfg.level_sizes() == [256, 128, 64, 32, 16, 8]
    assert math.isclose(cfg.ema_decay, 0.9999) and cfg.batch_size % cfg.micro_batch_size == 0


@pytest.mark.parametrize("bad, key", [
    ({"variance_type": "learned"}, "variance_type"),
    ({"attention_resolutions": [12]}, "attention_resolutions"),
    ({"image_size": 100}, "image_size"),
    ({"block_out_channels": [256, 100, 512, 512, 1024, 1024]}, "block_out_channels"),
    ({"micro_batch_size": 7}, "micro_batch_size"),
    ({"strength_min": 0.3}, "strength_min"),
    ({"beta_start": 0.03}, "beta_start"),
    ({"sampling_steps": 0}, "sampling_steps"),
    ({"ema_decay": 1.0}, "ema_decay"),
    ({"train_steps": 0}, "train_steps"),
    # the default 6-level classifier cannot halve 16 px five times
    ({"image_size": 16, "block_out_channels": [32, 32], "attention_resolutions": [8],
      "attention_head_dim": 32}, "classifier_block_out_channels"),
    ({"classifier_block_out_channels": [128, 100]}, "classifier_block_out_channels"),
    ({"classifier_batch_size": 42}, "classifier_batch_size"),
])
def test_bad_config_is_a_clear_error(bad, key):
    with pytest.raises(ValueError, match=key):
        SdasConfig(**bad)


def test_classifier_settings_are_not_checked_without_guidance():
    cfg = SdasConfig(image_size=16, block_out_channels=[32, 32], attention_resolutions=[8],
                     attention_head_dim=32, guidance_scale=0.0)
    assert cfg.classifier_block_out_channels == [128, 128, 256, 256, 512, 512]


@pytest.mark.parametrize("variance", VARIANCES)
def test_model_variance_is_the_unscaled_step_variance_clipped_at_the_last_step(variance):
    scheduler = StrengthScheduler.from_config(build_scheduler(tiny_config(variance)).config)
    scheduler.set_timesteps(20)
    scheduler.strength = 0.5  # guidance is not inflated by s
    output = torch.rand(2, 6 if variance == "learned_range" else 3, 4, 4) * 2 - 1
    stock = DDPMScheduler.from_config(scheduler.config)
    stock.set_timesteps(20)
    for t in (950, 500, 50):
        expected = stock._get_variance(t, output[:, 3:] if variance == "learned_range" else None)
        expected = expected.exp() if variance == "learned_range" else expected
        torch.testing.assert_close(scheduler.model_variance(torch.tensor(t), output), expected.expand_as(
            scheduler.model_variance(torch.tensor(t), output)))
    last = scheduler.model_variance(torch.tensor(0), output)
    abar = scheduler.alphas_cumprod.double()
    beta0, beta50 = 1 - abar[0], 1 - abar[50] / abar[0]
    clipped = beta50 * (1 - abar[0]) / (1 - abar[50])  # beta~ of the step 50 -> 0 (guided-diffusion)
    if variance == "fixed_small":
        assert float(last) == 0
    else:
        frac = (output[:, 3:].double() + 1) / 2
        torch.testing.assert_close(last.double(), torch.exp(frac * beta0.log() + (1 - frac) * clipped.log()),
                                   rtol=1e-5, atol=0)


def same_noise() -> list[torch.Generator]:
    return [torch.Generator().manual_seed(1) for _ in range(2)]


@pytest.mark.parametrize("variance", VARIANCES)
@torch.no_grad()
def test_guided_step_moves_the_mean_by_sigma_times_the_guide(variance):
    torch.manual_seed(0)
    unet = build_unet(tiny_config(variance)).eval()
    scheduler = StrengthScheduler.from_config(build_scheduler(tiny_config(variance)).config)
    scheduler.set_timesteps(20)
    scheduler.strength = 0.15
    x, t, y = torch.randn(2, 3, 16, 16), scheduler.timesteps[3], torch.tensor([0, 1])
    gradient = torch.randn(2, 3, 16, 16)
    plain = reverse_step(unet, scheduler, x, t, generator=same_noise())
    guided = reverse_step(unet, scheduler, x, t, y, lambda *_: gradient, same_noise())
    sigma = scheduler.model_variance(t, unet(x, t).sample)
    torch.testing.assert_close(guided - plain, sigma * gradient)
    assert (guided != plain).any()


def test_class_label_changes_the_sample():
    torch.manual_seed(0)
    cfg = tiny_config("fixed_small")
    unet = build_unet(cfg, num_classes=2).eval()
    torch.nn.init.normal_(unet.class_embedding.weight, std=3.0)  # two clearly different classes
    scheduler = build_scheduler(cfg)
    run = dict(strength=0.0, seed=3, progress=False, steps=4)
    a, _ = sdas_sample(unet, scheduler, 2, label=0, **run)
    b, _ = sdas_sample(unet, scheduler, 2, label=1, **run)
    again, _ = sdas_sample(unet, scheduler, 2, label=0, **run)
    assert a.shape == b.shape == (2, 16, 16, 3)
    np.testing.assert_array_equal(a, again)
    assert not np.array_equal(a, b)
    with pytest.raises(ValueError, match="class_labels"):  # a conditional U-Net needs the label
        sdas_sample(unet, scheduler, 1, **run)
    with pytest.raises(ValueError, match="label"):
        sdas_sample(build_unet(cfg), scheduler, 1, guide=lambda *_: 0, **run)
