"""Layout adapters on small synthetic folders: MVTec/BTAD, MVTec LOCO, VisA, DAGM, and bad input."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from synthad.data.layouts import rows_btad, rows_dagm, rows_mvtec, rows_mvtec_loco, rows_visa
from synthad.errors import DataError


def _png(path: Path, size: int = 8, value: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((size, size), value, np.uint8))
    return path


def _mvtec(root: Path, good="good", suffix="_mask", ext=".png") -> Path:
    cat = root / "cat"
    for i in range(3):
        _png(cat / "train" / good / f"{i:03d}{ext}")
    _png(cat / "test" / good / f"000{ext}")
    for i in range(2):
        _png(cat / "test" / "scratch" / f"{i:03d}{ext}")
        _png(cat / "ground_truth" / "scratch" / f"{i:03d}{suffix}.png", value=255)
    return cat


def _counts(rows):
    return sorted((r["split"], r["label"], r["defect_type"]) for r in rows)


def test_mvtec_rows(tmp_path):
    cat = _mvtec(tmp_path)
    rows = rows_mvtec(tmp_path, "cat")
    assert _counts(rows) == [("test", 0, "good"), ("test", 1, "scratch"), ("test", 1, "scratch"),
                             ("train", 0, "good"), ("train", 0, "good"), ("train", 0, "good")]
    defective = [r for r in rows if r["label"]]
    assert defective[0]["mask_path"] == str(cat / "ground_truth/scratch/000_mask.png")
    assert all(r["mask_path"] == "" for r in rows if not r["label"])
    assert rows[0]["path"].startswith(str(tmp_path))


def test_btad_uses_ok_ko_and_plain_mask_names(tmp_path):
    cat = tmp_path / "cat"
    _png(cat / "train/ok/0000.bmp")
    _png(cat / "test/ok/0001.bmp")
    _png(cat / "test/ko/0002.bmp")
    _png(cat / "ground_truth/ko/0002.png", value=255)
    rows = rows_btad(tmp_path, "cat")
    assert _counts(rows) == [("test", 0, "good"), ("test", 1, "ko"), ("train", 0, "good")]
    assert [r["mask_path"] for r in rows if r["label"]] == [str(cat / "ground_truth/ko/0002.png")]


def test_mask_of_wrong_name_is_named(tmp_path):
    _mvtec(tmp_path, suffix="_gt")
    with pytest.raises(DataError, match=r"test/scratch/000.png: defective image has no mask .*000_mask.png"
                                        r".*found e.g. 000_gt"):
        rows_mvtec(tmp_path, "cat")


def test_defective_image_without_mask(tmp_path):
    cat = _mvtec(tmp_path)
    (cat / "ground_truth/scratch/001_mask.png").unlink()
    with pytest.raises(DataError, match="001.png: defective image has no mask"):
        rows_mvtec(tmp_path, "cat")


def test_empty_splits(tmp_path):
    cat = _mvtec(tmp_path)
    for p in (cat / "train/good").iterdir():
        p.unlink()
    with pytest.raises(DataError, match="train/good: no images of defect-free training images"):
        rows_mvtec(tmp_path, "cat")
    other = _mvtec(tmp_path / "b")
    for folder in (other / "test").iterdir():
        for p in folder.iterdir():
            p.unlink()
    with pytest.raises(DataError, match="the test split is empty"):
        rows_mvtec(tmp_path / "b", "cat")


def test_missing_folders_and_defects_in_train(tmp_path):
    with pytest.raises(DataError, match="category folder does not exist"):
        rows_mvtec(tmp_path, "cat")
    cat = _mvtec(tmp_path)
    _png(cat / "train/scratch/009.png")
    with pytest.raises(DataError, match=r"unexpected folder\(s\) \['scratch'\]"):
        rows_mvtec(tmp_path, "cat")


def _loco(root: Path) -> Path:
    cat = root / "box"
    _png(cat / "train/good/000.png")
    _png(cat / "validation/good/000.png")
    _png(cat / "test/good/000.png")
    _png(cat / "test/logical_anomalies/000.png")
    _png(cat / "test/structural_anomalies/000.png")
    for i in range(2):
        _png(cat / f"ground_truth/logical_anomalies/000/{i:03d}.png", value=255)
    _png(cat / "ground_truth/structural_anomalies/000/000.png", value=255)
    return cat


def test_loco_rows(tmp_path):
    cat = _loco(tmp_path)
    rows = rows_mvtec_loco(tmp_path, "box")
    kinds = {r["defect_type"]: r["anomaly_kind"] for r in rows if r["label"]}
    assert kinds == {"logical_anomalies": "logical", "structural_anomalies": "structural"}
    logical = next(r for r in rows if r["defect_type"] == "logical_anomalies")
    gt = cat / "ground_truth/logical_anomalies/000"
    assert logical["mask_path"] == f"{gt / '000.png'};{gt / '001.png'}"
    assert not any("validation" in r["path"] for r in rows)  # documented: not indexed
    assert sum(r["split"] == "train" for r in rows) == 1


def test_loco_missing_mask_folder(tmp_path):
    cat = _loco(tmp_path)
    for p in (cat / "ground_truth/structural_anomalies/000").iterdir():
        p.unlink()
    with pytest.raises(DataError, match="structural_anomalies/000.png: defective image has no mask"):
        rows_mvtec_loco(tmp_path, "box")


def _visa(root: Path, lines: list[str]) -> None:
    (root / "split_csv").mkdir(parents=True)
    (root / "split_csv/1cls.csv").write_text("object,split,label,image,mask\n" + "\n".join(lines) + "\n")


def test_visa_rows(tmp_path):
    _visa(tmp_path, [
        "candle,train,normal,candle/Data/Images/Normal/0000.JPG,",
        "candle,test,normal,candle/Data/Images/Normal/0001.JPG,",
        "candle,test,anomaly,candle/Data/Images/Anomaly/000.JPG,candle/Data/Masks/Anomaly/000.png",
        "pcb1,train,normal,pcb1/Data/Images/Normal/0000.JPG,",
    ])
    rows = rows_visa(tmp_path, "candle")
    assert _counts(rows) == [("test", 0, "good"), ("test", 1, "anomaly"), ("train", 0, "good")]
    assert rows[2]["mask_path"] == str(tmp_path / "candle/Data/Masks/Anomaly/000.png")
    assert rows[0]["path"] == str(tmp_path / "candle/Data/Images/Normal/0000.JPG")


def test_visa_errors(tmp_path):
    with pytest.raises(DataError, match="1cls.csv: VisA split file does not exist"):
        rows_visa(tmp_path, "candle")
    _visa(tmp_path, ["candle,test,anomaly,candle/a.JPG,", "candle,test,broken,candle/b.JPG,"])
    with pytest.raises(DataError, match="line 2: anomalous image candle/a.JPG has no mask"):
        rows_visa(tmp_path, "candle")
    with pytest.raises(DataError, match="no rows for category 'pcb1'"):
        rows_visa(tmp_path, "pcb1")


def _dagm(root: Path, with_labels: bool = True) -> Path:
    cls = root / "Class1"
    lines = {"Train": ["1"], "Test": ["1"]}
    for part, defective in (("Train", {"0002"}), ("Test", {"0003"})):
        for i in range(1, 4):
            stem = f"{i:04d}"
            _png(cls / part / f"{stem}.PNG")
            if stem in defective:
                _png(cls / part / "Label" / f"{stem}_label.PNG", value=255)
            flag = int(stem in defective)
            lines[part].append(f"{i}\t{flag}\t{stem}.PNG\t0\t{stem + '_label.PNG' if flag else 0}")
        if with_labels:
            (cls / part / "Label").mkdir(parents=True, exist_ok=True)
            (cls / part / "Label/Labels.txt").write_text("\n".join(lines[part]) + "\n")
    return cls


@pytest.mark.parametrize("with_labels", [True, False])
def test_dagm_rows(tmp_path, with_labels):
    cls = _dagm(tmp_path, with_labels)
    rows = rows_dagm(tmp_path, "Class1")
    expected = [("test", 0, "good")] * 2 + [("test", 1, "defect")] * 2 + [("train", 0, "good")] * 2
    assert _counts(rows) == expected
    masks = sorted(r["mask_path"] for r in rows if r["label"])
    assert masks == [str(cls / "Test/Label/0003_label.PNG"), str(cls / "Train/Label/0002_label.PNG")]


def test_dagm_flagged_image_without_label(tmp_path):
    cls = _dagm(tmp_path)
    (cls / "Test/Label/0003_label.PNG").unlink()
    with pytest.raises(DataError, match="0003.PNG: marked defective .*0003_label.PNG does not exist"):
        rows_dagm(tmp_path, "Class1")


def test_dagm_nested_class_folder(tmp_path):
    _dagm(tmp_path / "Class1")  # Class1/Class1/Train
    assert len(rows_dagm(tmp_path, "Class1")) == 6


def test_demo_rows_carry_anomaly_kind(tmp_path):
    from synthad.config import DemoConfig
    from synthad.data.demo import generate_demo
    from synthad.data.layouts import rows_demo

    generate_demo(tmp_path / "demo", DemoConfig(image_size=64, n_train=2, n_test_good=1, n_test_defect=4),
                  categories=["circuit"], progress=False)
    rows = rows_demo(tmp_path / "demo", "circuit")
    kinds = {r["defect_type"]: r["anomaly_kind"] for r in rows if r["label"]}
    assert kinds == {"missing": "logical", "misplaced": "logical", "scratch": "structural",
                     "contamination": "structural"}
    assert all(r["anomaly_kind"] == "" for r in rows if not r["label"])
