"""The noisy classifier of SDAS's classifier guidance (synthad.synthesis.noisy_classifier)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from synthad.errors import DataError
from synthad.synthesis.ddpm import build_scheduler, build_unet
from synthad.synthesis.noisy_classifier import (
    NoisyClassifier,
    classifier_guide,
    load_classifier,
    save_classifier,
    train_classifier,
)
from synthad.synthesis.sdas import sdas_sample
from synthad.synthesis.sdas_config import SdasConfig


def tiny_config(**kw) -> SdasConfig:
    base = dict(image_size=16, block_out_channels=[16, 16], attention_resolutions=[8], attention_head_dim=8,
                norm_num_groups=8, layers_per_block=1, variance_type="fixed_small",
                classifier_block_out_channels=[16, 16], classifier_batch_size=16, batch_size=16,
                micro_batch_size=16, classifier_train_steps=20, lr=3e-3)
    return SdasConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def two_categories() -> tuple[np.ndarray, np.ndarray]:
    """Eight reddish and eight bluish 16x16 images (uint8) and their labels 0 / 1."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 80, (16, 16, 16, 3)).astype(np.uint8)
    images[:8, ..., 0] += 170
    images[8:, ..., 2] += 170
    return images, np.repeat([0, 1], 8)


@pytest.fixture(scope="module")
def trained(two_categories):
    images, labels = two_categories
    logs = []
    classifier = train_classifier(images, labels, 2, tiny_config(), seed=0, progress=False, log_every=10,
                                  log=lambda step, row: logs.append(row))
    return classifier, logs


def test_training_learns_the_categories_of_noised_images(trained):
    classifier, logs = trained
    assert len(logs) == 2 and logs[-1]["loss"] < logs[0]["loss"]
    # chance is ln 2 = 0.69 and 50 %; images noised beyond recognition (large t) keep it above 0
    assert logs[-1]["loss"] < 0.85 * np.log(2) and logs[-1]["accuracy"] > 0.7
    assert not classifier.training


def test_guide_is_the_scaled_gradient_of_the_labels_log_probability():
    torch.manual_seed(0)
    classifier = NoisyClassifier(tiny_config(), 2).eval()
    x, t, y = torch.randn(2, 3, 16, 16), torch.tensor(500), torch.tensor([0, 1])
    x_in = x.clone().requires_grad_(True)
    log_p = F.log_softmax(classifier(x_in, t), -1)
    expected = torch.autograd.grad(log_p[0, 0] + log_p[1, 1], x_in)[0]
    torch.testing.assert_close(classifier_guide(classifier, 2.0)(x, t, y), 2 * expected)
    assert not torch.allclose(classifier_guide(classifier, 1.0)(x, t, y.flip(0)), expected)
    with torch.no_grad():  # the sampler runs without autograd; the guide turns it on itself
        assert classifier_guide(classifier, 1.0)(x, t, y).abs().sum() > 0


def test_guidance_changes_the_sample_and_scale_zero_is_no_guidance(trained):
    classifier, _ = trained
    torch.manual_seed(0)
    cfg = tiny_config()
    unet = build_unet(cfg, num_classes=2).eval()
    run = dict(strength=0.1, seed=2, progress=False, steps=5, label=1)
    plain, _ = sdas_sample(unet, build_scheduler(cfg), 2, **run)
    zero, _ = sdas_sample(unet, build_scheduler(cfg), 2, guide=classifier_guide(classifier, 0.0), **run)
    guided, _ = sdas_sample(unet, build_scheduler(cfg), 2, guide=classifier_guide(classifier, 30.0), **run)
    np.testing.assert_array_equal(zero, plain)
    assert np.abs(guided.astype(int) - plain).max() > 2


def test_save_load_round_trip_and_clear_errors(trained, tmp_path):
    classifier, _ = trained
    save_classifier(classifier, tmp_path / "clf")
    loaded = load_classifier(tmp_path / "clf")
    x, t = torch.randn(2, 3, 16, 16), torch.tensor([10, 900])
    with torch.no_grad():
        torch.testing.assert_close(loaded(x, t), classifier(x, t))
    with pytest.raises(DataError, match="classifier.json missing"):
        load_classifier(tmp_path / "nowhere")
    (tmp_path / "clf" / "classifier.safetensors").write_bytes(b"junk")
    with pytest.raises(DataError, match="cannot load the SDAS classifier"):
        load_classifier(tmp_path / "clf")


def test_init_checkpoint_may_change_only_the_class_head(trained, two_categories, tmp_path):
    classifier, _ = trained
    torch.save(classifier.state_dict(), tmp_path / "init.pt")
    images, labels = two_categories
    three = np.concatenate([labels[:15], [2]])  # another class count: the head is re-initialised
    cfg = tiny_config(classifier_train_steps=1, lr=1e-7, classifier_init_checkpoint=str(tmp_path / "init.pt"))
    started = train_classifier(images, three, 3, cfg, progress=False)
    for name, value in classifier.state_dict().items():
        if not name.startswith("head.2.proj."):
            torch.testing.assert_close(started.state_dict()[name], value, atol=1e-5, rtol=0)
    wider = tiny_config(classifier_block_out_channels=[32, 32],
                        classifier_init_checkpoint=str(tmp_path / "init.pt"))
    with pytest.raises(DataError, match=r"init\.pt: the init checkpoint does not fit the SDAS classifier"):
        train_classifier(images, labels, 2, wider, progress=False)


def test_one_class_is_refused(two_categories):
    images, labels = two_categories
    with pytest.raises(DataError, match=">= 2 classes"):
        train_classifier(images, np.zeros_like(labels), 1, tiny_config(), progress=False)
