"""Shared fixtures: a tiny real-photo category (MPDD metal_plate) and small helpers.

Tests never touch the network; the real photographs come from ../shared/data (CI has it beside
the clone).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
METAL_PLATE = (REPO / ".." / "shared" / "data" / "mpdd_metal_plate").resolve()

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("DVC_NO_ANALYTICS", "1")


def pytest_collection_modifyitems(config, items):
    """Skip GPU tests when torch sees no CUDA device."""
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def metal_plate() -> Path:
    """The real MPDD metal_plate sample in MVTec layout."""
    if not METAL_PLATE.is_dir():
        pytest.fail(f"{METAL_PLATE} is missing: the tests need ../shared/data beside the clone")
    return METAL_PLATE


@pytest.fixture(scope="session")
def tiny_index(metal_plate) -> pd.DataFrame:
    """A 10-image index of real photos: 6 train good, 2 test good, 2 test defective."""
    rows = []
    for i in range(6):
        rows.append(_row(metal_plate / "train/good" / f"{i:03d}.png", "train", 0))
    for i in range(2):
        rows.append(_row(metal_plate / "test/good" / f"{i:03d}.png", "test", 0))
        mask = metal_plate / "ground_truth/defect" / f"{i:03d}_mask.png"
        rows.append(_row(metal_plate / "test/defect" / f"{i:03d}.png", "test", 1, mask))
    return pd.DataFrame(rows)


def _row(path: Path, split: str, label: int, mask: Path | None = None) -> dict:
    return {
        "path": str(path), "split": split, "label": label,
        "defect_type": "defect" if label else "good", "mask_path": str(mask) if mask else "",
    }


@pytest.fixture(scope="session")
def banks(tmp_path_factory, metal_plate) -> dict[str, Path]:
    """One tiny bank of every kind at 32 px.

    Built-in textures and natural images, and an "sdas" bank of real metal-plate crops (a stand-in
    for diffusion samples).
    """
    import cv2

    from synthad.banks import build_builtin_natural, build_builtin_textures, write_image_bank

    root = tmp_path_factory.mktemp("banks")
    build_builtin_textures(root / "textures", size=32, seed=0, variants=1)
    build_builtin_natural(root / "natural", size=32, seed=0, count=6)
    photos = sorted((metal_plate / "train/good").glob("*.png"))[6:10]
    crops = [(p.stem, cv2.resize(cv2.imread(str(p))[:, :, ::-1], (32, 32))) for p in photos]
    write_image_bank(root / "sdas", crops, "sdas", "test_stand_in")
    return {kind: root / kind for kind in ("textures", "natural", "sdas")}
