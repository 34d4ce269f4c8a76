"""build_index: dispatch to the adapter, validation through write_index, the real metal_plate folder."""

from __future__ import annotations

from dataclasses import replace

import pytest

from synthad.data.index import read_index
from synthad.data.layouts import build_index
from synthad.data.registry import get_dataset
from synthad.errors import DataError, UnknownNameError


def test_metal_plate_index_counts(metal_plate, tmp_path):
    out = tmp_path / "index" / "mpdd_metal_plate.csv"
    build_index(get_dataset("folder"), metal_plate, "mpdd_metal_plate", out)
    frame = read_index(out)
    counts = frame.groupby(["split", "label"]).size().to_dict()
    assert counts == {("train", 0): 54, ("test", 0): 26, ("test", 1): 81}
    defective = frame[frame["label"] == 1]
    assert (defective["defect_type"] == "defect").all()
    first = defective.iloc[0]
    assert first["mask_path"].endswith("ground_truth/defect/000_mask.png")
    assert first["path"].endswith("test/defect/000.png")
    assert not list(tmp_path.glob("index/.*"))  # atomic write left no temporary file


def test_unknown_category_and_unindexed_source(metal_plate, tmp_path):
    with pytest.raises(UnknownNameError, match="unknown category 'metal_plate'"):
        build_index(get_dataset("folder"), metal_plate, "metal_plate", tmp_path / "x.csv")
    with pytest.raises(UnknownNameError, match="unknown category 'bottel'"):
        build_index(get_dataset("mvtec_ad"), tmp_path, "bottel", tmp_path / "x.csv")
    with pytest.raises(DataError, match="'dtd'.*is not indexed"):
        build_index(get_dataset("dtd"), tmp_path, "banded", tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()


def test_empty_test_split_is_rejected_by_write_index(tmp_path):
    (tmp_path / "split_csv").mkdir()
    header = "object,split,label,image,mask\n"
    (tmp_path / "split_csv/1cls.csv").write_text(header + "candle,train,normal,a.JPG,\n")
    (tmp_path / "a.JPG").write_bytes(b"")
    with pytest.raises(DataError, match="the test split is empty"):
        build_index(get_dataset("visa"), tmp_path, "candle", tmp_path / "candle.csv")
    assert not (tmp_path / "candle.csv").exists()


def test_mpdd_layout_uses_mvtec_adapter(metal_plate, tmp_path):
    # the registered MPDD entry reads a folder of MPDD categories; fake one with a renamed spec
    spec = replace(get_dataset("mpdd"), categories=("mpdd_metal_plate",))
    frame = build_index(spec, metal_plate.parent, "mpdd_metal_plate", tmp_path / "m.csv")
    assert len(frame) == 54 + 26 + 81
