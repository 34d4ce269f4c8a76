"""Shared inference helpers: chunked prediction at the method's size, the DRAEM-style image score."""

import torch

from synthad.methods.inference import kernel_at, mean_filter_max, predict_resized, resize


def _brightness(x):
    """A toy method: the map is the grey level, the score its maximum."""
    amap = x.mean(dim=1, keepdim=True)
    return amap.amax(dim=(1, 2, 3)), amap


def test_maps_come_back_at_the_input_size_and_chunks_do_not_matter():
    images = torch.rand(5, 3, 40, 24, generator=torch.Generator().manual_seed(0))
    whole = predict_resized(images, 16, 8, torch.device("cpu"), _brightness)
    chunked = predict_resized(images, 16, 2, torch.device("cpu"), _brightness)
    assert whole.maps.shape == (5, 40, 24) and whole.scores.shape == (5,)
    assert torch.allclose(whole.maps, chunked.maps) and torch.allclose(whole.scores, chunked.scores)


def test_the_method_sees_images_at_its_own_size():
    seen = []

    def spy(x):
        seen.append(tuple(x.shape))
        return _brightness(x)

    predict_resized(torch.rand(3, 3, 50, 50), 32, 2, torch.device("cpu"), spy)
    assert seen == [(2, 3, 32, 32), (1, 3, 32, 32)]


def test_resize_keeps_a_tensor_of_the_right_size_untouched():
    x = torch.rand(1, 1, 8, 8)
    assert resize(x, (8, 8)) is x
    assert resize(x, (4, 4)).shape == (1, 1, 4, 4)


def test_mean_filter_max_averages_before_the_maximum():
    amap = torch.zeros(2, 1, 9, 9)
    amap[0, 0, 4, 4] = 9.0  # one hot pixel: its 3x3 mean is 1
    amap[1, 0, 3:6, 3:6] = 2.0  # a 3x3 blob of 2: its mean stays 2
    assert torch.allclose(mean_filter_max(amap, 3), torch.tensor([1.0, 2.0]))


def test_filter_sides_given_at_256_px_scale_to_odd_sides():
    assert [kernel_at(5, size) for size in (32, 64, 128, 256, 512)] == [1, 1, 3, 5, 11]
    assert kernel_at(21, 64) == 5 and kernel_at(5, 64, scale=False) == 5
