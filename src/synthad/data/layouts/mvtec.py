"""The MVTec AD folder layout (also MPDD, BTAD, the ``folder`` and ``demo`` data sets).

::

    <category>/train/<good>/*.png                       defect-free training images
    <category>/test/<good>/*.png                        defect-free test images
    <category>/test/<type>/*.png                        defective test images
    <category>/ground_truth/<type>/<stem><suffix>.png   one mask per defective image

MVTec AD and MPDD use ``good`` and the suffix ``_mask``; BTAD uses ``ok``/``ko`` and masks named
like their image (no suffix, ``.png`` or ``.bmp``). Derived ``rto:`` data sets are MVTec layout plus
``<category>/rto.json``, which carries the base's ``anomaly_kind`` per defect type.

The ``folder`` data set (a user's own data) also accepts the OK/NG layout of factory data:
``good`` or ``ok`` in any case (``train/OK``, ``test/Good``) is defect-free, every other test
folder (``ng``, ``scratch``) a defect type. With ``pixel_masks: false`` it is image-level:
``ground_truth/`` is neither needed nor read and the index lists no mask.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from synthad.data.layouts.common import (
    category_dir,
    find_mask,
    list_images,
    mask_lookup,
    require_dir,
    require_images,
    row,
)
from synthad.errors import DataError

FOLDER_GOOD_NAMES = ("good", "ok")  # defect-free folder names of the ``folder`` data set, any case


def rows_mvtec(root: Path, category: str, good: str = "good", mask_suffix: str = "_mask") -> list[dict]:
    """Index rows of one category in MVTec layout.

    Args:
        root: Data root (holding the category folder, or being it).
        category: Category name.
        good: Name of the defect-free folders.
        mask_suffix: What follows the image stem in a mask's file name.

    Returns:
        Rows with ``defect_type`` ``good`` for defect-free images, else the folder name.

    Raises:
        DataError: A missing folder, an extra training folder, an empty split, or a defective image
            without its mask (the message names the expected mask file).
    """
    return _category_rows(category_dir(Path(root), category), (good,), mask_suffix)


def rows_folder(root: Path, category: str, pixel_masks: bool = True) -> list[dict]:
    """Index rows of one category of the ``folder`` data set (MVTec or OK/NG layout).

    Args:
        root: Data root (holding the category folder, or being it).
        category: Category name.
        pixel_masks: ``True``: every defective image needs ``ground_truth/<type>/<stem>_mask.*``;
            ``False``: image-level, no mask is read and the rows list none.

    Returns:
        Rows with ``defect_type`` ``good`` for images of a ``good``/``ok`` folder (any case), else
        the folder name.

    Raises:
        DataError: As :func:`rows_mvtec`; the mask error only with ``pixel_masks``.
    """
    return _category_rows(category_dir(Path(root), category), FOLDER_GOOD_NAMES,
                          "_mask" if pixel_masks else None, any_case=True)


def _category_rows(base: Path, good: tuple[str, ...], mask_suffix: str | None,
                   any_case: bool = False) -> list[dict]:
    """Rows of one category folder; ``mask_suffix`` ``None``: image-level, no mask is looked up."""
    def is_good(name: str) -> bool:
        return (name.lower() if any_case else name) in good

    rows = [row(p, "train", 0, "good") for p in _train_images(base, is_good, "/ or ".join(good))]
    test = require_dir(base / "test", "test images")
    for folder in sorted(d for d in test.iterdir() if d.is_dir()):
        images = list_images(folder)
        if is_good(folder.name):
            rows += [row(p, "test", 0, "good") for p in images]
        elif mask_suffix is None:
            rows += [row(p, "test", 1, folder.name) for p in images]
        else:
            gt = base / "ground_truth" / folder.name
            masks = mask_lookup(gt)
            rows += [row(p, "test", 1, folder.name, [find_mask(masks, gt, p.stem + mask_suffix, p)])
                     for p in images]
    if not any(r["split"] == "test" for r in rows):
        raise DataError(f"{test}: the test split is empty (no images in its sub-folders)")
    return rows


def _train_images(base: Path, is_good: Callable[[str], bool], good_text: str) -> list[Path]:
    """The images of every defect-free folder of ``train/`` (``train/good`` and ``train/OK`` both count)."""
    train = require_dir(base / "train", "training images")
    folders = sorted(d for d in train.iterdir() if d.is_dir())
    extra = [d.name for d in folders if not is_good(d.name)]
    if extra:  # training must be defect-free; a defect folder there is a layout error
        raise DataError(f"{train}: unexpected folder(s) {extra}; only {good_text}/ is allowed in train/")
    if not folders:
        raise DataError(f"{train}: no {good_text}/ folder of defect-free training images")
    return [p for d in folders for p in require_images(d, "defect-free training images")]


def rows_btad(root: Path, category: str) -> list[dict]:
    """Index rows of one BTAD category (``ok``/``ko`` folders, masks named like the image)."""
    return rows_mvtec(root, category, good="ok", mask_suffix="")


def rows_demo(root: Path, category: str) -> list[dict]:
    """Index rows of the generated demo data set: MVTec layout plus ``anomaly_kind``.

    The demo marks its missing/misplaced-component defects as ``logical`` (as MVTec LOCO does), so
    tables can split image AUROC by anomaly kind.
    """
    from synthad.data.demo import ANOMALY_KIND  # deferred: the generator is not needed otherwise

    rows = rows_mvtec(root, category)
    for r in rows:
        r["anomaly_kind"] = ANOMALY_KIND[category].get(r["defect_type"], "") if r["label"] else ""
    return rows


def rows_rto(root: Path, category: str) -> list[dict]:
    """Index rows of a derived ``rto:`` category: MVTec layout, ``anomaly_kind`` from ``rto.json``.

    The base's logical/structural split survives the derivation: ``rto.json`` maps each defect
    type to its kind (``null`` when the base index had no ``anomaly_kind`` column).
    """
    from synthad.data.rto import RTO_JSON  # deferred: rto imports the loader (cv2)
    from synthad.utils.io import read_json_object

    rows = rows_mvtec(root, category)
    kinds = read_json_object(category_dir(Path(root), category) / RTO_JSON).get("anomaly_kind")
    if kinds is not None:
        for r in rows:
            r["anomaly_kind"] = kinds.get(r["defect_type"], "") if r["label"] else ""
    return rows
