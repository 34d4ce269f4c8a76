"""The MVTec LOCO AD layout: several masks per defective image, logical vs structural anomalies.

::

    <category>/train/good/*.png
    <category>/validation/good/*.png                         not indexed (see below)
    <category>/test/{good,logical_anomalies,structural_anomalies}/*.png
    <category>/ground_truth/<type>/<image stem>/000.png, 001.png ...   one mask per defect
    <category>/defects_config.json     defect name, pixel value and sPRO saturation per defect type

Every mask of an image goes into ``mask_path`` joined with ``;`` (their union is the ground truth
of the pixel metrics; the per-instance files stay available for sPRO). ``anomaly_kind`` is
``logical`` or ``structural`` for defective images and empty for good ones. Where
``defects_config.json`` exists, each mask's single non-zero pixel value names its defect type and
the ``saturation`` column gets its sPRO saturation (``rel:<fraction>`` or ``abs:<pixels>``), as the
official evaluation reads it (``GroundTruthChannel.create_from_integer_array``).

``validation/good`` is left out: the index has only train and test splits (docs/design.md#data-flow), and
adding the validation images to training would change the official protocol (the papers train on
``train/good`` and use validation only for model selection).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from synthad.data.layouts.common import category_dir, list_images, require_dir, require_images, row
from synthad.errors import DataError
from synthad.utils.images import read_mask_values

KINDS = {"logical_anomalies": "logical", "structural_anomalies": "structural"}


def rows_mvtec_loco(root: Path, category: str) -> list[dict]:
    """Index rows of one MVTec LOCO category.

    Raises:
        DataError: A missing folder, an unknown test folder, or a defective image without a
            mask folder holding at least one mask.
    """
    base = category_dir(Path(root), category)
    rows = [row(p, "train", 0, "good", anomaly_kind="")
            for p in require_images(base / "train" / "good", "defect-free training images")]
    test = require_dir(base / "test", "test images")
    for folder in sorted(d for d in test.iterdir() if d.is_dir()):
        if folder.name == "good":
            rows += [row(p, "test", 0, "good", anomaly_kind="") for p in list_images(folder)]
        elif folder.name in KINDS:
            rows += [_defective(p, base, folder.name) for p in list_images(folder)]
        else:
            raise DataError(f"{folder}: unknown test folder; expected good, {', '.join(KINDS)}")
    if not any(r["split"] == "test" for r in rows):
        raise DataError(f"{test}: the test split is empty")
    saturations = read_defects_config(base / "defects_config.json")
    if saturations is not None:
        for r in rows:
            masks = [Path(m) for m in r["mask_path"].split(";") if m]
            r["saturation"] = ";".join(_saturation(m, saturations) for m in masks)
    return rows


def read_defects_config(path: Path) -> dict[int, str] | None:
    """``{pixel value: "rel:<f>" | "abs:<n>"}`` from ``defects_config.json`` (``None`` if absent).

    Raises:
        DataError: The file is not a list of entries with ``pixel_value``,
            ``saturation_threshold`` and ``relative_saturation``.
    """
    if not path.is_file():
        return None
    try:
        entries = json.loads(path.read_text())
        return {int(e["pixel_value"]): ("rel:" if e["relative_saturation"] else "abs:")
                + repr(e["saturation_threshold"]) for e in entries}
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise DataError(f"{path}: not a LOCO defects config ({exc!r})") from exc


def _saturation(mask: Path, saturations: dict[int, str]) -> str:
    """The saturation entry of one instance mask, found by its non-zero pixel value.

    Raises:
        DataError: The mask is unreadable (:func:`read_mask_values`) or does not hold exactly one
            non-zero value of the config.
    """
    values = [int(v) for v in np.unique(read_mask_values(mask)) if v]
    if len(values) != 1 or values[0] not in saturations:
        raise DataError(f"{mask}: expected one defect pixel value of defects_config.json "
                        f"({sorted(saturations)}), found {values}")
    return saturations[values[0]]


def _defective(image: Path, base: Path, defect_type: str) -> dict:
    """Row of a defective image with all its instance masks."""
    mask_dir = base / "ground_truth" / defect_type / image.stem
    masks = list_images(mask_dir) if mask_dir.is_dir() else []
    if not masks:
        raise DataError(f"{image}: defective image has no mask; expected {mask_dir}/000.png")
    return row(image, "test", 1, defect_type, masks, anomaly_kind=KINDS[defect_type])
