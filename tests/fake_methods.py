"""Test helpers: a tiny fake method (registered under a test-only key) and a tiny data set.

Shared by ``tests/evaluation``, ``tests/report`` and ``tests/stages`` (``tests/`` is on the path:
one module name, so the fake is registered once whatever order the tests run in), so no test
depends on a real method being implemented.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import torch

from synthad.methods import Method, Prediction, get_method, list_methods, register

FAKE_KEY = "_test_fake_mean"


@dataclass
class FakeConfig:
    """Config of the fake method."""

    image_size: int = 32
    gain: float = 1.0


class FakeMean(Method):
    """Anomaly map = mean absolute difference to a stored mean image (a naive baseline)."""

    Config = FakeConfig

    def __init__(self, config, device="cpu"):
        super().__init__(config, device)
        self.mean = torch.zeros(3, config.image_size, config.image_size)

    def fit(self, train, context):  # pragma: no cover - not used by these tests
        """Store the mean training image."""
        self.mean = torch.stack([train[i]["image"] for i in range(len(train))]).mean(0)

    def predict(self, images):
        """Maps and scores from the absolute difference to the stored mean image."""
        # Like every method: work at its own size, return maps at the input's size (the contract).
        size, shape = self.config.image_size, images.shape[-2:]
        small = torch.nn.functional.interpolate(images, size=(size, size), mode="bilinear",
                                                align_corners=False)
        maps = (small - self.mean.to(images.device)).abs().mean(1, keepdim=True) * self.config.gain
        maps = torch.nn.functional.interpolate(maps, size=shape, mode="bilinear", align_corners=False)[:, 0]
        return Prediction(scores=maps.flatten(1).max(1).values, maps=maps)

    def state_dict(self):
        """The stored mean image."""
        return {"mean": self.mean}

    def load_state_dict(self, state):
        """Restore the mean image saved by :meth:`state_dict`."""
        self.mean = state["mean"]


def fake_method_key() -> str:
    """Register the fake method once (idempotent even if this file is imported twice)."""
    if FAKE_KEY not in list_methods():
        register(FAKE_KEY)(FakeMean)
    return get_method(FAKE_KEY).key


def make_dataset(root: Path, dataset: str = "toy", category: str = "widget", size: int = 40,
                 n_good: int = 3, n_defect: int = 4, seed: int = 0) -> Path:
    """Write grey images with bright square defects and their index; return the index path."""
    rng = np.random.default_rng(seed)
    img_dir = root / "raw" / dataset / category
    img_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for split, label, count in (("train", 0, 2), ("test", 0, n_good), ("test", 1, n_defect)):
        for i in range(count):
            image = (np.full((size, size, 3), 100, np.uint8)
                     + rng.integers(0, 6, (size, size, 3), dtype=np.uint8))
            mask = np.zeros((size, size), np.uint8)
            if label:
                y, x = rng.integers(2, size - 12, 2)
                mask[y:y + 8, x:x + 6] = 255
                image[mask > 0] = 230
            defect = ["scratch", "dent"][i % 2] if label else "good"
            path = img_dir / f"{split}_{defect}_{i}.png"
            cv2.imwrite(str(path), image)
            mask_path = ""
            if label:
                mask_path = str(img_dir / f"{split}_{defect}_{i}_mask.png")
                cv2.imwrite(mask_path, mask)
            rows.append({"path": str(path), "split": split, "label": label, "defect_type": defect,
                         "mask_path": mask_path})
    index = root / "index" / dataset / f"{category}.csv"
    index.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(index, index=False)
    return index


def make_model_dir(out: Path, dataset: str = "toy", category: str = "widget", seed: int = 0,
                   gain: float = 1.0, image_size: int = 32) -> Path:
    """Write a model folder as ``synthad train`` would for the fake method."""
    key = fake_method_key()
    out.mkdir(parents=True, exist_ok=True)
    config = FakeConfig(image_size=image_size, gain=gain)
    state = {"mean": torch.full((3, image_size, image_size), 102 / 255)}
    torch.save(state, out / "model.pt")
    (out / "config.json").write_text(json.dumps({"method": key, "config": asdict(config), "dataset": dataset,
                                                 "category": category, "seed": seed}))
    (out / "train_info.json").write_text(json.dumps({"train_seconds": 1.5, "peak_memory_mb": 10.0,
                                                     "device": "cpu", "epochs": 1}))
    return out
