"""MAD-RTO-style derivation: deterministic draws in range, image/mask alignment, objects only."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from synthad.config import RtoConfig
from synthad.data.layouts import build_index
from synthad.data.registry import get_dataset
from synthad.data.rto import check_objects, derive_category, derive_dataset, draw_transform, warp
from synthad.errors import ConfigError, DataError, UnknownNameError
from synthad.stages.validate import parse_params

KEYS = [f"washer/test/scratch/{i:03d}.png" for i in range(200)]


def _scene(rng: np.random.Generator, size: int = 64) -> np.ndarray:
    """A dark noisy ground with a bright off-centre square: ``(size, size, 3)`` uint8."""
    image = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
    image[12:30, 36:50] = 230
    return image


def make_category(root: Path, n_train: int = 3, size: int = 48) -> Path:
    """A tiny MVTec-layout category ``root/part`` with one defective image and its mask."""
    rng = np.random.default_rng(0)
    base = root / "part"
    names = [f"train/good/{i:03d}.png" for i in range(n_train)] + ["test/good/000.png", "test/crack/000.png"]
    for rel in names:
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(base / rel), _scene(rng, size))
    mask = np.zeros((size, size), np.uint8)
    mask[5:15, 5:20] = 255
    (base / "ground_truth/crack").mkdir(parents=True)
    cv2.imwrite(str(base / "ground_truth/crack/000_mask.png"), mask)
    return base


def test_draws_deterministic_in_range_and_seed_dependent():
    config = RtoConfig(max_angle=30, max_shift=0.1, seed=3)
    draws = [draw_transform(config, k) for k in KEYS]
    assert draws == [draw_transform(config, k) for k in KEYS]
    angles = np.array([d.angle for d in draws])
    shifts = np.array([(d.tx, d.ty) for d in draws])
    assert np.abs(angles).max() <= 30 and np.abs(shifts).max() <= 0.1
    # the draws fill their ranges (not a constant): both signs, large values occur
    assert angles.min() < -20 and angles.max() > 20 and np.abs(shifts).max() > 0.08
    other = [draw_transform(RtoConfig(seed=4), k) for k in KEYS]
    assert all(a != b for a, b in zip(draws, other, strict=True))


@pytest.mark.parametrize("fill", ["reflect", "replicate", "constant"])
def test_mask_follows_image_content_and_stays_binary(fill):
    image = _scene(np.random.default_rng(1))
    mask = (image[..., 0] > 128).astype(np.uint8) * 255  # the bright square, drawn from the content
    for key in KEYS[:10]:
        t = draw_transform(RtoConfig(max_angle=45, max_shift=0.15), key)
        moved_image, moved_mask = warp(image, t, fill), warp(mask, t, fill, nearest=True)
        assert set(np.unique(moved_mask)) <= {0, 255}
        bright, labelled = moved_image[..., 0] > 128, moved_mask > 0
        iou = (bright & labelled).sum() / (bright | labelled).sum()
        assert iou > 0.9, (key, iou)
        assert labelled.sum() > 0.8 * (mask > 0).sum()  # the square is moved, not cut away


def test_transform_really_moves_the_content():
    image = _scene(np.random.default_rng(2))
    t = draw_transform(RtoConfig(), KEYS[0])
    moved = warp(image, t, "reflect")
    assert abs(t.angle) > 1 and not np.array_equal(moved[..., 0] > 128, image[..., 0] > 128)


def test_texture_categories_are_rejected():
    check_objects(get_dataset("demo"), ["washer", "circuit"])
    with pytest.raises(DataError, match="'fabric' is a texture category"):
        check_objects(get_dataset("demo"), ["washer", "fabric"])
    with pytest.raises(DataError, match="'carpet' is a texture category"):
        check_objects(get_dataset("mvtec_ad"), ["carpet"])
    check_objects(get_dataset("folder"), ["anything"])  # objects unknown: the user decides


def test_registry_derives_rto_specs():
    spec = get_dataset("rto:demo")
    assert spec.categories == ("washer", "circuit") and spec.layout == "rto"
    assert spec.mask_settings["washer"] == get_dataset("demo").mask_settings["washer"]
    assert "bottle" in get_dataset("rto:mvtec_ad").categories
    assert "carpet" not in get_dataset("rto:mvtec_ad").categories
    with pytest.raises(DataError, match="no object category"):
        get_dataset("rto:dagm2007")
    with pytest.raises(UnknownNameError):
        get_dataset("rto:nope")


def _params(entry: dict, extra: dict | None = None) -> dict:
    return {"methods": [], "data": {"datasets": {"demo": {}, "demo_rto": entry, **(extra or {})}}}


def test_params_validation():
    params = parse_params(_params({"source": "rto", "base": "demo", "categories": ["washer"]}))
    assert params.data.datasets["demo_rto"].rto == RtoConfig()
    with pytest.raises(ConfigError, match="'fabric' is a texture category"):
        parse_params(_params({"source": "rto", "base": "demo", "categories": ["fabric"]}))
    with pytest.raises(ConfigError, match="needs `base`"):
        parse_params(_params({"source": "rto"}))
    with pytest.raises(ConfigError, match="base: unknown data set 'nope'"):
        parse_params(_params({"source": "rto", "base": "nope"}))
    with pytest.raises(ConfigError, match="only allowed with `source: rto`"):
        parse_params(_params({"base": "demo"}))
    with pytest.raises(ConfigError, match="max_angle"):
        parse_params(_params({"source": "rto", "base": "demo", "rto": {"max_angle": 200}}))
    with pytest.raises(ConfigError, match="itself derived"):
        chained = {"other": {"source": "rto", "base": "demo"}}
        parse_params(_params({"source": "rto", "base": "other"}, chained))


def test_derived_category_is_indexable_and_reproducible(tmp_path):
    base = make_category(tmp_path / "base")
    build_index(get_dataset("folder"), base, "part", tmp_path / "index/part.csv")
    out = derive_dataset([tmp_path / "index/part.csv"], tmp_path / "rto", "folder", RtoConfig(seed=5))
    source = json.loads((out / "source.json").read_text())
    assert source["dataset"] == "rto:folder"
    frame = build_index(get_dataset("rto:folder"), out, "part", tmp_path / "rto_index.csv")
    assert sorted(frame["defect_type"]) == ["crack", "good", "good", "good", "good"]
    info = json.loads((out / "part/rto.json").read_text())
    assert len(info["images"]) == 5 and info["config"]["seed"] == 5
    assert all(abs(d["angle"]) <= 30 and abs(d["tx"]) <= 0.1 for d in info["images"].values())
    # same seed -> the same bytes; another seed -> other images
    again = derive_category(tmp_path / "index/part.csv", tmp_path / "again", RtoConfig(seed=5))
    assert again["images"] == info["images"]
    for rel in info["images"]:
        assert (out / "part" / rel).read_bytes() == (tmp_path / "again" / rel).read_bytes()
    other = derive_category(tmp_path / "index/part.csv", tmp_path / "other", RtoConfig(seed=6))
    assert other["images"] != info["images"]
    mask = cv2.imread(str(out / "part/ground_truth/crack/000_mask.png"), cv2.IMREAD_GRAYSCALE)
    assert set(np.unique(mask)) == {0, 255}


def test_anomaly_kind_survives(tmp_path):
    base = make_category(tmp_path / "base")
    frame = build_index(get_dataset("folder"), base, "part", tmp_path / "index/part.csv")
    frame["anomaly_kind"] = np.where(frame["label"] == 1, "logical", "")
    frame.to_csv(tmp_path / "index/part.csv", index=False)
    out = derive_dataset([tmp_path / "index/part.csv"], tmp_path / "rto", "folder", RtoConfig())
    rows = build_index(get_dataset("rto:folder"), out, "part", tmp_path / "rto.csv")
    kinds = dict(zip(rows["defect_type"], rows["anomaly_kind"], strict=True))
    assert kinds == {"crack": "logical", "good": ""}


def test_texture_category_of_base_rejected_before_reading(tmp_path):
    with pytest.raises(DataError, match="texture category"):
        derive_dataset([tmp_path / "fabric.csv"], tmp_path / "out", "demo", RtoConfig())
    assert not (tmp_path / "out").exists()
