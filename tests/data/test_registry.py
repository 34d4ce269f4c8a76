"""Registry: lookups, unknown names, category lists, mask settings, category resolution."""

from __future__ import annotations

import re
import sys
import types

import pytest

from synthad.config import MaskSetting
from synthad.data.registry import (
    discover_categories,
    get_dataset,
    list_datasets,
    mask_setting,
    resolve_categories,
)
from synthad.errors import DataError, UnknownNameError

EXPECTED_COUNTS = {"mvtec_ad": 15, "mvtec_loco": 5, "visa": 12, "btad": 3, "mpdd": 6, "dagm2007": 10}


def test_list_datasets_has_every_entry():
    assert set(list_datasets()) == {*EXPECTED_COUNTS, "dtd", "folder", "demo"}


@pytest.mark.parametrize("key,count", sorted(EXPECTED_COUNTS.items()))
def test_category_counts(key, count):
    spec = get_dataset(key)
    assert spec.key == key and len(spec.categories) == count == len(set(spec.categories))


def test_unknown_dataset_lists_known_names():
    with pytest.raises(UnknownNameError, match="unknown data set 'mvtec'.*mvtec_ad"):
        get_dataset("mvtec")


@pytest.mark.parametrize("key", sorted(EXPECTED_COUNTS))
def test_mask_settings_are_valid(key):
    spec = get_dataset(key)
    assert set(spec.mask_settings) <= set(spec.categories)
    for category in spec.categories:
        assert isinstance(mask_setting(spec, category), MaskSetting)


def test_mask_settings_follow_method_notes():
    assert mask_setting(get_dataset("mvtec_ad"), "bottle") == MaskSetting("otsu", "gray", True, 6, 6)
    assert mask_setting(get_dataset("mvtec_ad"), "carpet").method == "whole"
    assert mask_setting(get_dataset("visa"), "pcb3") == MaskSetting("triangle", 2, False, 8, 3)
    assert mask_setting(get_dataset("mpdd"), "tubes") == MaskSetting("otsu", 2, False, 6, 0)
    assert mask_setting(get_dataset("btad"), "01") == MaskSetting("otsu", "gray", False, 15, 6)
    assert mask_setting(get_dataset("dagm2007"), "Class1").method == "whole"  # default


def test_checksums_are_well_formed():
    for key in list_datasets():
        if key == "demo":
            continue
        for remote in get_dataset(key).files:
            assert remote.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", remote.sha256)
            assert remote.md5 is None or re.fullmatch(r"[0-9a-f]{32}", remote.md5)
            assert remote.url.startswith("https://")


def test_specs_are_immutable():
    spec = get_dataset("mvtec_ad")
    with pytest.raises(AttributeError):
        spec.key = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        spec.mask_settings["bottle"] = {}  # type: ignore[index]


def test_resolve_all_and_subset():
    spec = get_dataset("btad")
    assert resolve_categories(spec, ["all"]) == ["01", "02", "03"]
    assert resolve_categories(spec, ["03", "01", "03"]) == ["03", "01"]


def test_resolve_unknown_category():
    with pytest.raises(UnknownNameError, match="unknown category 'bottel'"):
        resolve_categories(get_dataset("mvtec_ad"), ["bottel"])


def test_folder_discovers_single_category(metal_plate):
    spec = get_dataset("folder")
    assert resolve_categories(spec, ["all"], metal_plate) == ["mpdd_metal_plate"]
    with pytest.raises(UnknownNameError):
        resolve_categories(spec, ["metal_plate"], metal_plate)


def test_folder_discovers_subfolders(tmp_path):
    for name in ("b", "a"):
        (tmp_path / name / "train" / "good").mkdir(parents=True)
    (tmp_path / "notes").mkdir()
    assert discover_categories(tmp_path) == ["a", "b"]


def test_folder_errors(tmp_path):
    spec = get_dataset("folder")
    with pytest.raises(DataError, match="data root is needed"):
        resolve_categories(spec, ["all"], None)
    with pytest.raises(DataError, match="no category found"):
        resolve_categories(spec, ["all"], tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        resolve_categories(spec, ["all"], tmp_path / "missing")


def test_anomaly_source_has_no_categories():
    spec = get_dataset("dtd")
    assert spec.is_anomaly_source and spec.files
    with pytest.raises(DataError, match="anomaly source"):
        resolve_categories(spec, ["all"])


def test_demo_reads_the_demo_module(monkeypatch):
    fake = types.ModuleType("synthad.data.demo")
    fake.CATEGORIES = ("weave", "marble")
    fake.MASK_SETTINGS = {"marble": {"method": "otsu"}}
    monkeypatch.setitem(sys.modules, "synthad.data.demo", fake)
    spec = get_dataset("demo")
    assert spec.categories == ("weave", "marble") and spec.layout == "demo"
    assert mask_setting(spec, "marble").method == "otsu"
    assert resolve_categories(spec, ["all"]) == ["weave", "marble"]


def test_demo_without_module_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "synthad.data.demo", None)  # makes the import fail
    with pytest.raises(DataError, match="synthad.data.demo is unavailable"):
        get_dataset("demo")
