"""Writing anomaly banks: generated images, or a link to a folder the user already has.

Every writer produces the layout of :mod:`synthad.banks.manifest` atomically: the bank appears
complete, with its manifest, or not at all (an interrupted build leaves no half bank).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from synthad.banks.manifest import IMAGES, BankManifest, checksums, write_manifest
from synthad.errors import DataError
from synthad.utils.images import write_image
from synthad.utils.io import atomic_dir

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")


def list_images(folder: str | Path) -> list[Path]:
    """All images under ``folder`` (recursively, following links, sorted; hidden files skipped).

    Raises:
        DataError: The folder does not exist or holds no image.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: image folder does not exist")
    # os.walk follows symlinked folders (linked banks, DTD's images/<class>/); rglob would not.
    files = sorted(Path(root) / name for root, _, names in os.walk(folder, followlinks=True)
                   for name in names
                   if Path(name).suffix.lower() in IMAGE_SUFFIXES and not name.startswith("."))
    if not files:
        raise DataError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)}) found")
    return files


def write_image_bank(out: str | Path, images: Iterable[tuple[str, np.ndarray]], kind: str, generator: str,
                     params: dict[str, Any] | None = None, seed: int | None = None,
                     progress: bool = False) -> BankManifest:
    """Write generated images as PNGs under ``out/images/`` with a manifest.

    Args:
        out: Bank folder (replaced as a whole on success).
        images: ``(name, RGB uint8 (H, W, 3))`` pairs; names must be unique.
        kind: Bank kind (``"textures"``, ``"natural"``, ``"sdas"``).
        generator: How the images were made, recorded in the manifest.
        params: Generator parameters, recorded.
        seed: Generator seed, recorded.
        progress: Show a progress bar.

    Returns:
        The manifest written.
    """
    out = Path(out)
    with atomic_dir(out) as tmp:
        (tmp / IMAGES).mkdir()
        written = []
        for name, image in tqdm(images, desc=f"bank {out.name}", disable=not progress, leave=False):
            path = tmp / IMAGES / f"{name}.png"
            if path.exists():
                raise ValueError(f"duplicate bank image name {name!r}")
            write_image(path, image)
            written.append(path)
        if not written:
            raise ValueError(f"{out}: no images to write")
        manifest = BankManifest(kind, generator, params or {}, seed, checksums(tmp, written))
        write_manifest(tmp, manifest)
    return manifest


def link_folder_bank(out: str | Path, folder: str | Path, kind: str, generator: str = "folder",
                     params: dict[str, Any] | None = None) -> BankManifest:
    """Make a bank of an existing image folder (DTD, ImageNet/VOC, a released SIA set) without copying.

    ``out/images`` becomes a symbolic link to ``folder``; the manifest lists and checksums every
    image, so a later change of the user's folder is detected when the bank is opened.

    Raises:
        DataError: ``folder`` is missing or holds no image.
    """
    folder = Path(folder).resolve()
    files = list_images(folder)
    out = Path(out)
    with atomic_dir(out) as tmp:
        (tmp / IMAGES).symlink_to(folder, target_is_directory=True)
        linked = [tmp / IMAGES / f.relative_to(folder) for f in files]
        manifest = BankManifest(kind, generator, params or {}, None, checksums(tmp, linked), str(folder))
        write_manifest(tmp, manifest)
    return manifest
