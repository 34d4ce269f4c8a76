"""Helpers shared by the layout adapters: listing images, finding masks, building rows."""

from __future__ import annotations

from pathlib import Path

from synthad.errors import DataError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}


def list_images(folder: Path) -> list[Path]:
    """Image files directly in ``folder``, sorted by name (suffix case-insensitive)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def require_dir(folder: Path, what: str) -> Path:
    """Return ``folder`` or raise a DataError naming it.

    Args:
        folder: The folder that must exist.
        what: What it should hold, for the message (e.g. ``"defect-free training images"``).
    """
    if not folder.is_dir():
        raise DataError(f"{folder}: folder of {what} does not exist")
    return folder


def require_images(folder: Path, what: str) -> list[Path]:
    """The images of a folder that must exist and hold at least one image."""
    images = list_images(require_dir(folder, what))
    if not images:
        raise DataError(f"{folder}: no images of {what} (expected {', '.join(sorted(IMAGE_SUFFIXES))})")
    return images


def category_dir(root: Path, category: str) -> Path:
    """The folder of one category: ``root/category``, or ``root`` itself when it is that category.

    ``root`` itself is the category for a single-category folder (``folder`` data set) whose name
    is the category name.
    """
    if (root / category).is_dir():
        return root / category
    if root.name == category and root.is_dir():
        return root
    raise DataError(f"{root / category}: category folder does not exist")


def mask_lookup(folder: Path) -> dict[str, Path]:
    """Mask files of a folder keyed by file stem (any image suffix)."""
    return {p.stem: p for p in list_images(folder)} if folder.is_dir() else {}


def find_mask(masks: dict[str, Path], folder: Path, stem: str, image: Path) -> Path:
    """The mask ``<stem>`` of ``image`` in ``folder``, or a DataError saying what was expected.

    Args:
        masks: :func:`mask_lookup` of ``folder``.
        folder: The ground-truth folder (for the message).
        stem: Expected mask file stem (e.g. ``000_mask``).
        image: The defective image (for the message).
    """
    if stem in masks:
        return masks[stem]
    near = sorted(masks)[:3]
    seen = f"; found e.g. {', '.join(near)}" if near else "; the folder has no mask files"
    raise DataError(f"{image}: defective image has no mask {folder / stem}.png{seen}")


def row(path: Path, split: str, label: int, defect_type: str, masks: list[Path] | None = None,
        anomaly_kind: str | None = None) -> dict:
    """One index row (see :mod:`synthad.data.index`)."""
    out = {"path": str(path), "split": split, "label": label, "defect_type": defect_type,
           "mask_path": ";".join(str(m) for m in masks or [])}
    if anomaly_kind is not None:
        out["anomaly_kind"] = anomaly_kind
    return out
