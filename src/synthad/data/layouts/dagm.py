"""The DAGM 2007 layout (``Class1`` ... ``Class10``).

::

    Class<k>/Train/*.PNG, Class<k>/Test/*.PNG       512x512 grey images
    Class<k>/{Train,Test}/Label/<stem>_label.PNG     weak elliptic mask of a defective image
    Class<k>/{Train,Test}/Label/Labels.txt           one line per image (see below)

``Labels.txt`` starts with a header line and then has whitespace-separated lines
``<id> <defective 0/1> <image file> <0> <label file or 0>``. The format is not formally published;
the parser therefore only relies on the second and third fields, takes the mask name from the
fifth field when present and otherwise from the ``<stem>_label.PNG`` convention, and falls back to
that convention alone when ``Labels.txt`` is absent.

The index needs a defect-free training split (docs/design.md#data-flow), so defective ``Train`` images go
to the test split (this matches the NDP-Net paper, whose test counts are Train + Test defects) and
defect-free ``Test`` images stay in the test split.
"""

from __future__ import annotations

from pathlib import Path

from synthad.data.layouts.common import category_dir, list_images, require_dir, row
from synthad.errors import DataError


def rows_dagm(root: Path, category: str) -> list[dict]:
    """Index rows of one DAGM class.

    Raises:
        DataError: A missing ``Train``/``Test`` folder, or an image marked defective in
            ``Labels.txt`` whose label image is missing.
    """
    base = _class_dir(Path(root), category)
    rows = []
    for part in ("Train", "Test"):
        folder = require_dir(base / part, f"DAGM {part.lower()} images")
        flags = _read_labels(folder / "Label" / "Labels.txt")
        for image in list_images(folder):
            mask = _mask_of(image, folder, flags)
            if mask is None:
                rows.append(row(image, "train" if part == "Train" else "test", 0, "good"))
            else:
                rows.append(row(image, "test", 1, "defect", [mask]))
    return rows


def _class_dir(root: Path, category: str) -> Path:
    base = category_dir(root, category)
    # some copies nest the class folder once more (Class1/Class1/Train)
    return base / category if not (base / "Train").is_dir() and (base / category).is_dir() else base


def _read_labels(path: Path) -> dict[str, str | None] | None:
    """``{image file: label file (or None if defect-free)}`` from ``Labels.txt``, or ``None``."""
    if not path.is_file():
        return None
    flags: dict[str, str | None] = {}
    for line in path.read_text(errors="replace").splitlines():
        fields = line.split()
        if len(fields) < 3 or not fields[0].isdigit():
            continue  # the header line and blank lines
        if fields[1] not in ("0", "1"):
            raise DataError(f"{path}: defect flag {fields[1]!r} is not 0/1 in line {line!r}")
        label = fields[4] if len(fields) > 4 and fields[4] != "0" else f"{Path(fields[2]).stem}_label.PNG"
        flags[fields[2]] = label if fields[1] == "1" else None
    return flags


def _mask_of(image: Path, folder: Path, flags: dict[str, str | None] | None) -> Path | None:
    """The label image of a defective image, ``None`` for a defect-free one."""
    conventional = folder / "Label" / f"{image.stem}_label.PNG"
    if flags is None or image.name not in flags:  # no Labels.txt entry: the label file decides
        return conventional if conventional.is_file() else None
    label = flags[image.name]
    if label is None:
        return None
    mask = folder / "Label" / label
    if not mask.is_file():
        raise DataError(f"{image}: marked defective in {folder / 'Label' / 'Labels.txt'} "
                        f"but its label image {mask} does not exist")
    return mask
