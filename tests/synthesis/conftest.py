"""Fixtures for the per-paper synthesizers: in-memory sources and pools (flat colours, real photos)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from synth_helpers import SIZE, ListSource

from synthad.synthesis import TrainingPool, builtin_natural_images


@pytest.fixture(scope="session")
def plate_pool(metal_plate) -> TrainingPool:
    """Six real MPDD metal_plate training photos at 64 x 64; foreground = the dark plate (grey Otsu)."""
    images, foregrounds = [], []
    for path in sorted((metal_plate / "train/good").glob("*.png"))[:6]:
        image = cv2.resize(cv2.imread(str(path))[:, :, ::-1], (SIZE, SIZE), interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        _, fg = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
        images.append(image)
        foregrounds.append(fg)
    pool = TrainingPool(np.stack(images), np.stack(foregrounds))
    assert 0.05 < pool.foregrounds.mean() < 0.95, "the test needs a foreground that is not the whole image"
    return pool


@pytest.fixture(scope="session")
def photos() -> ListSource:
    """Natural photographs at 64 x 64 (the built-in ImageNet/VOC stand-in), as an anomaly source."""
    return ListSource([image for _, image in builtin_natural_images(size=SIZE, seed=0, count=8)])
