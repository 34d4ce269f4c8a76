"""An image-level data set through the tiny pipeline: OK/NG folders, no pixel masks.

A handful of MPDD metal-plate photos (shrunk to 64 px) are laid out as a factory would hand them
over (``train/OK``, ``test/ok``, ``test/NG``, no ``ground_truth``) and declared with
``pixel_masks: false``. Snakemake indexes them (with ``--verify``), builds the foreground masks
IMM+ALM needs, trains, evaluates and writes the tables, figures and report: image metrics are
numbers, every pixel metric is ``n/a``.
"""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

import cv2
import pandas as pd
import pytest
from tiny_methods import TINY as TINY_METHODS
from workflow_helpers import BIN, copy_workflow, repo_params, run

PIXEL_KEYS = ("pixel_auroc", "pixel_ap", "pixel_f1_max", "pixel_aupro")
METHODS = ["mean_image", "imm_alm"]  # imm_alm: a method that needs foreground masks


def _ok_ng_copy(metal_plate: Path, root: Path) -> Path:
    """``root/plate/{train/OK, test/ok, test/NG}`` of 64 px copies of the metal-plate photos."""
    picks = {"train/OK": ("train/good", range(8)), "test/ok": ("test/good", range(3)),
             "test/NG": ("test/defect", range(4))}
    for target, (source, numbers) in picks.items():
        folder = root / "plate" / target
        folder.mkdir(parents=True)
        for i in numbers:
            image = cv2.resize(cv2.imread(str(metal_plate / source / f"{i:03d}.png")), (64, 64),
                               interpolation=cv2.INTER_AREA)
            cv2.imwrite(str(folder / f"{i:03d}.png"), image)
    return root


def _params(data: Path) -> dict:
    params = copy.deepcopy(repo_params())
    params["seeds"] = [0]
    params["methods"] = METHODS
    params["data"]["datasets"] = {"plates": {"source": "folder", "path": str(data), "pixel_masks": False}}
    params["method_params"] = {"mean_image": TINY_METHODS["mean_image"],
                               "imm_alm": {**TINY_METHODS["imm_alm"], "dgm": False}}
    params["evaluate"]["resolution"] = 32
    params["report"]["figure_images"] = 2
    params["synthesis"]["sdas_preview"] = []
    return params


@pytest.mark.slow  # Snakemake and ~20 stage processes (the report waits for the bank sheets): 2-5 min
def test_ok_ng_folder_without_masks_runs_to_the_unified_table(tmp_path, metal_plate):
    data = _ok_ng_copy(metal_plate, tmp_path / "factory")
    (tmp_path / "project").mkdir()
    root = copy_workflow(tmp_path / "project", _params(data))
    run([str(BIN / "snakemake"), "results/tables", "results/figures/maps", "reports", "--cores", "2"], root)

    index = pd.read_csv(root / "data/index/plates/plate.csv", keep_default_na=False)
    assert set(index.loc[index["label"] == 1, "defect_type"]) == {"NG"} and (index["mask_path"] == "").all()
    assert (root / "data/masks/plates/plate").is_dir()  # foreground masks for IMM+ALM
    for method in METHODS:
        metrics = json.loads((root / f"results/runs/plates/plate/{method}/seed0/metrics.json").read_text())
        assert 0 <= metrics["image_auroc"] <= 1 and "image_ap" in metrics and "image_f1_max" in metrics
        assert not set(PIXEL_KEYS) & set(metrics)
        assert metrics["n_test_defective"] == 4
    with (root / "results/tables/unified_plates.csv").open() as handle:
        layout = list(csv.reader(handle))
    header = layout[0]
    assert len(layout) == 1 + 2 * len(METHODS)  # plate and mean blocks
    for row in layout[1:]:
        assert row[header.index("I-AUROC")] not in ("n/a", "—", "")
        assert all(row[header.index(h)] == "n/a" for h in ("P-AUROC", "P-AP", "AU-PRO", "P-F1max")), row
    assert ">n/a<" in (root / "reports/report.html").read_text()
    assert (root / "results/figures/maps/plates/plate/imm_alm.png").is_file()
