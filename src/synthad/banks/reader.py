"""Reading an anomaly bank: the one interface through which training gets its anomaly sources.

``open_bank(folder, size, kind)`` checks the manifest (:mod:`synthad.banks.manifest`), that every
listed image exists and, by default, that its checksum matches; then ``bank.sample(rng)`` returns a
random source image resized to the training resolution. A synthesizer never knows whether the
images are DTD, built-in textures, natural photographs or SDAS samples.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from synthad.banks.manifest import BankManifest, read_manifest, sha256_file
from synthad.errors import DataError
from synthad.utils.images import read_image


class Bank:
    """Random access to a bank's images as RGB uint8 ``(size, size, 3)``.

    Args:
        folder: Bank folder (``manifest.json`` + images).
        size: Side of the square images returned (sources are resized, not cropped, as in DRAEM).
        kind: Expected kind (``"textures"``, ``"natural"``, ``"sdas"``); ``None`` accepts any.
        verify: Compare every file's sha256 with the manifest on opening.
        cache: How many decoded images to keep in memory.

    Raises:
        DataError: Not a bank, wrong kind, a listed image missing or changed.
    """

    def __init__(self, folder: str | Path, size: int, kind: str | None = None, verify: bool = True,
                 cache: int = 1024):
        self.folder, self.size, self.cache_limit = Path(folder), int(size), cache
        self.manifest: BankManifest = read_manifest(self.folder)
        if kind is not None and self.manifest.kind != kind:
            raise DataError(f"{self.folder}: a {self.manifest.kind!r} bank, but {kind!r} is needed")
        self.files = [self.folder / name for name in self.manifest.files]
        _check_files(self.folder, self.manifest, verify)
        self._cache: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.files)

    def load(self, i: int) -> np.ndarray:
        """Image ``i`` as RGB uint8 ``(size, size, 3)``; an undecodable file is a DataError naming it."""
        if i in self._cache:
            return self._cache[i]
        image = read_image(self.files[i])
        if image.shape[:2] != (self.size, self.size):
            image = cv2.resize(image, (self.size, self.size), interpolation=cv2.INTER_LINEAR)
        if len(self._cache) < self.cache_limit:
            self._cache[i] = image
        return image

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """A uniformly random image of the bank."""
        return self.load(int(rng.integers(len(self.files))))


def open_bank(folder: str | Path, size: int, kind: str | None = None, verify: bool = True) -> Bank:
    """Open a bank for training; see :class:`Bank`."""
    return Bank(folder, size, kind, verify)


def _check_files(folder: Path, manifest: BankManifest, verify: bool) -> None:
    """Every listed file exists (and matches its checksum when ``verify``), else one clear error."""
    missing = [name for name in manifest.files if not (folder / name).is_file()]
    if missing:
        raise DataError(f"{folder}: {len(missing)} of {manifest.count} bank images are missing "
                        f"(first: {missing[0]}); rebuild the bank")
    if not verify:
        return
    changed = [name for name, digest in manifest.files.items() if sha256_file(folder / name) != digest]
    if changed:
        raise DataError(f"{folder}: {len(changed)} bank images differ from the manifest's checksums "
                        f"(first: {changed[0]}); the bank is corrupt or was edited, rebuild it")
