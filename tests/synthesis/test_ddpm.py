"""The SDAS DDPM (synthad.synthesis.ddpm).

U-Net, hybrid loss, class-conditional training, resume, init checkpoint, save/load.
"""

import math

import numpy as np
import pytest
import torch

from synthad.errors import DataError
from synthad.synthesis.ddpm import (
    DiffusionTables,
    build_scheduler,
    build_unet,
    discretized_gaussian_nll,
    gaussian_kl,
    hybrid_loss,
    load_unet,
    save_unet,
    train_ddpm,
)
from synthad.synthesis.init_weights import load_init_weights
from synthad.synthesis.sdas import sdas_sample
from synthad.synthesis.sdas_config import SdasConfig


def tiny_config(**kw) -> SdasConfig:
    base = dict(image_size=16, block_out_channels=[32, 32], attention_resolutions=[8], attention_head_dim=32,
                layers_per_block=1, batch_size=8, micro_batch_size=4, lr=2e-3, train_steps=6, ema_decay=0.9,
                classifier_block_out_channels=[32, 32])
    return SdasConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    """Ten smooth 16x16 colour ramps (uint8): learnable within a few dozen steps."""
    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 1, 16)[None, :, None, None] * np.ones((1, 16, 16, 3)).transpose(0, 2, 1, 3)
    return (255 * ramp * rng.uniform(0.3, 1.0, (10, 1, 1, 3))).astype(np.uint8)


@pytest.fixture(scope="module")
def tables() -> DiffusionTables:
    return DiffusionTables(build_scheduler(SdasConfig()))


def test_unet_is_adm_like():
    unet = build_unet(tiny_config(block_out_channels=[32, 32, 64], attention_resolutions=[8, 4]))
    assert unet.config.out_channels == 6 and unet.config.resnet_time_scale_shift == "scale_shift"
    assert [type(b).__name__ for b in unet.down_blocks] == [
        "ResnetDownsampleBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"]
    assert unet.down_blocks[1].downsample_type == "resnet" and unet.up_blocks[1].upsample_type == "resnet"
    assert unet.mid_block.attentions[0].group_norm is not None
    out = unet(torch.zeros(2, 3, 16, 16), torch.tensor([0, 999])).sample
    assert out.shape == (2, 6, 16, 16)
    assert build_unet(tiny_config(variance_type="fixed_small")).config.out_channels == 3


def test_gaussian_kl_closed_form():
    kl = gaussian_kl(torch.tensor(0.0), torch.tensor(0.0), torch.tensor(1.0), torch.tensor(math.log(4.0)))
    assert kl.item() == pytest.approx(math.log(2) + 2 / 8 - 0.5, abs=1e-6)


def test_discretized_nll_is_a_distribution_over_256_levels():
    x = torch.arange(256, dtype=torch.float64) / 127.5 - 1
    probs = torch.exp(-discretized_gaussian_nll(x, torch.tensor(0.1), torch.tensor(math.log(0.3))))
    assert probs.sum().item() == pytest.approx(1.0, abs=1e-6)


def test_vb_is_the_closed_form_kl_when_the_mean_is_exact(tables):
    t = torch.tensor([1, 10, 500, 999])
    x0 = torch.rand(4, 3, 8, 8) * 2 - 1
    noise = torch.randn(4, 3, 8, 8)
    xt = tables.at("sqrt_abar", t) * x0 + tables.at("sqrt_1m_abar", t) * noise
    # v = +1 selects log beta_t, v = -1 the true posterior log-variance log beta~_t
    _, vb_beta = hybrid_loss(torch.cat([noise, torch.ones_like(noise)], 1), x0, xt, t, noise, tables)
    _, vb_post = hybrid_loss(torch.cat([noise, -torch.ones_like(noise)], 1), x0, xt, t, noise, tables)
    betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    abar = torch.cumprod(1 - betas, 0)
    post = betas[t] * (1 - abar[t - 1]) / (1 - abar[t])
    d = (post / betas[t]).log()  # log-variance difference, true minus model
    expected = 0.5 * (d.exp() - 1 - d) / math.log(2)
    torch.testing.assert_close(vb_beta.double(), expected, rtol=2e-3, atol=1e-6)
    assert vb_post.abs().max() < 1e-5


def test_vb_is_non_negative_and_leaves_the_mean_without_gradient(tables):
    t = torch.tensor([0, 0, 3, 250, 999])
    x0 = torch.randint(0, 256, (5, 3, 8, 8)) / 127.5 - 1
    noise = torch.randn(5, 3, 8, 8)
    xt = tables.at("sqrt_abar", t) * x0 + tables.at("sqrt_1m_abar", t) * noise
    output = torch.randn(5, 6, 8, 8, requires_grad=True)
    mse, vb = hybrid_loss(output, x0, xt, t, noise, tables)
    assert (vb >= 0).all() and (vb[:2] > 0).all()  # t = 0: decoder NLL
    vb.sum().backward()
    assert (output.grad[:, :3] == 0).all() and (output.grad[:, 3:] != 0).any()
    output.grad = None
    mse.sum().backward()
    assert (output.grad[:, 3:] == 0).all() and (output.grad[:, :3] != 0).any()


def test_training_loss_decreases(images):
    logs = []
    train_ddpm(images, tiny_config(train_steps=40), seed=0, log=lambda s, d: logs.append(d["loss"]),
               log_every=10, progress=False)
    assert len(logs) == 4 and logs[-1] < 0.7 * logs[0]


def test_resume_reproduces_an_uninterrupted_run(images, tmp_path):
    whole = train_ddpm(images, tiny_config(train_steps=6), seed=1, progress=False)
    ckpt = tmp_path / "state.pt"
    train_ddpm(images, tiny_config(train_steps=3), seed=1, checkpoint_path=ckpt, progress=False)
    resumed = train_ddpm(images, tiny_config(train_steps=6), seed=1, checkpoint_path=ckpt, progress=False)
    for (name, a), b in zip(whole.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    with pytest.raises(DataError, match="different run"):
        train_ddpm(images, tiny_config(train_steps=6, lr=1e-3), seed=1, checkpoint_path=ckpt, progress=False)


def test_bad_training_images_are_a_clear_error(images):
    with pytest.raises(DataError, match="uint8 images of shape"):
        train_ddpm(images[:, :8], tiny_config(), progress=False)
    with pytest.raises(DataError, match="uint8"):
        train_ddpm(images.astype(np.float32), tiny_config(), progress=False)


def test_save_load_round_trip_and_clear_errors(tmp_path):
    torch.manual_seed(0)
    unet = build_unet(tiny_config()).eval()
    save_unet(unet, tmp_path / "unet")
    loaded = load_unet(tmp_path / "unet")
    for (name, a), b in zip(unet.state_dict().items(), loaded.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    x, t = torch.randn(1, 3, 16, 16), torch.tensor([10])
    with torch.no_grad():  # memory-mapped weights may take another SIMD path: equal up to rounding
        torch.testing.assert_close(unet(x, t).sample, loaded(x, t).sample, rtol=1e-5, atol=1e-6)
    with pytest.raises(DataError, match="config.json missing"):
        load_unet(tmp_path / "nowhere")
    weights = tmp_path / "unet" / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(DataError, match="cannot load"):
        load_unet(tmp_path / "unet")


def test_v_prediction_exact_output_has_zero_mse_and_zero_kl(tables):
    t = torch.tensor([100, 300, 500, 950])
    x0 = torch.rand(4, 3, 8, 8) * 2 - 1
    noise = torch.randn(4, 3, 8, 8)
    xt = tables.at("sqrt_abar", t) * x0 + tables.at("sqrt_1m_abar", t) * noise
    v = tables.at("sqrt_abar", t) * noise - tables.at("sqrt_1m_abar", t) * x0
    mse, vb = hybrid_loss(torch.cat([v, -torch.ones_like(v)], 1), x0, xt, t, noise, tables, "v_prediction")
    assert mse.abs().max() < 1e-10 and vb.abs().max() < 1e-4  # exact mean and posterior variance
    mse_eps, _ = hybrid_loss(torch.cat([v, -torch.ones_like(v)], 1), x0, xt, t, noise, tables)
    assert (mse_eps > 1e-3).all()  # the same output read as eps is wrong: the flag matters


def test_v_prediction_reaches_the_scheduler():
    scheduler = build_scheduler(tiny_config(prediction_type="v_prediction"))
    assert scheduler.config.prediction_type == "v_prediction"
    with pytest.raises(ValueError, match="prediction_type"):
        tiny_config(prediction_type="sample")


def test_one_category_is_unconditional_and_more_are_classes():
    assert build_unet(tiny_config()).class_embedding is None
    assert build_unet(tiny_config(), num_classes=3).class_embedding.num_embeddings == 3


def test_conditional_model_trains_on_two_categories_and_samples_each_label(images):
    two = np.concatenate([images, images[..., ::-1]])  # category 1: the colours reversed
    labels = np.repeat([0, 1], len(images))
    cfg = tiny_config(train_steps=3, variance_type="fixed_small")
    unet = train_ddpm(two, cfg, seed=0, progress=False, labels=labels, num_classes=2)
    assert unet.config.num_class_embeds == 2
    run = dict(strength=0.1, seed=5, progress=False, steps=3)
    first, _ = sdas_sample(unet, build_scheduler(cfg), 2, label=0, **run)
    second, _ = sdas_sample(unet, build_scheduler(cfg), 2, label=1, **run)
    assert first.shape == second.shape == (2, 16, 16, 3)
    assert not np.array_equal(first, second)  # the same noise, another class
    with pytest.raises(DataError, match="class index 2"):
        train_ddpm(two, cfg, progress=False, labels=labels * 2, num_classes=2)
    with pytest.raises(DataError, match="one class index"):
        train_ddpm(two, cfg, progress=False, labels=labels[:3], num_classes=2)


def test_init_checkpoint_loads_all_but_the_class_embedding(tmp_path):
    from safetensors.torch import save_file

    torch.manual_seed(0)
    source = build_unet(tiny_config(), num_classes=3)  # e.g. ImageNet's 1000 classes, here 3
    save_file(source.state_dict(), str(tmp_path / "init.safetensors"))
    save_unet(source, tmp_path / "folder")
    for path in (tmp_path / "init.safetensors", tmp_path / "folder"):
        torch.manual_seed(1)
        target = build_unet(tiny_config(), num_classes=2)
        kept = load_init_weights(target, path, ("class_embedding.",))
        assert kept == ["class_embedding.weight"]
        for name, value in target.state_dict().items():
            assert torch.equal(value, source.state_dict()[name]) != (name in kept), name


def test_training_starts_from_the_init_checkpoint(images, tmp_path):
    torch.manual_seed(3)
    start = build_unet(tiny_config())
    torch.save(start.state_dict(), tmp_path / "init.pt")
    cfg = tiny_config(train_steps=1, lr=1e-7, init_checkpoint=str(tmp_path / "init.pt"))
    trained = train_ddpm(images, cfg, seed=0, progress=False)
    for name, value in start.state_dict().items():
        torch.testing.assert_close(trained.state_dict()[name], value, atol=1e-5, rtol=0)


def test_init_checkpoint_that_does_not_fit_names_the_file(images, tmp_path):
    wider = build_unet(tiny_config(block_out_channels=[64, 64], attention_head_dim=32))
    torch.save(wider.state_dict(), tmp_path / "wider.pt")
    with pytest.raises(DataError, match=r"wider\.pt: the init checkpoint does not fit.*conv_in.weight"):
        train_ddpm(images, tiny_config(init_checkpoint=str(tmp_path / "wider.pt")), progress=False)
    with pytest.raises(DataError, match=r"absent\.pt: init checkpoint not found"):
        train_ddpm(images, tiny_config(init_checkpoint=str(tmp_path / "absent.pt")), progress=False)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(DataError, match=r"junk\.pt: cannot read"):
        train_ddpm(images, tiny_config(init_checkpoint=str(tmp_path / "junk.pt")), progress=False)
