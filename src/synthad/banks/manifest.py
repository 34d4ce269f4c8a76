"""The manifest of an anomaly bank: what it holds, how it was made, and a checksum per image.

Layout of every bank folder (``data/banks/<kind>/...``)::

    manifest.json     kind, generator, parameters, seed, count, {relative path: sha256}
    images/           the images (a folder, or a link to the user's copy: DTD, a released SIA set)

The checksums make a bank verifiable: DVC versions the folder, and :func:`synthad.banks.open_bank`
refuses a bank whose files are missing or changed since it was built.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from synthad.errors import DataError
from synthad.utils.io import read_json_object, write_json

MANIFEST = "manifest.json"
IMAGES = "images"
KINDS = ("textures", "natural", "sdas")
FORMAT_VERSION = 1


@dataclass
class BankManifest:
    """Everything needed to trust and reproduce a bank.

    Attributes:
        kind: ``"textures"``, ``"natural"`` or ``"sdas"`` (what synthesizers ask for by name).
        generator: How the images were made (``"builtin"``, ``"folder"``, ``"sdas"``, ``"sia_import"``).
        params: The generator's parameters (e.g. SDAS strengths, image size, model path).
        seed: Seed of the generator, ``None`` for copied or linked images.
        files: Relative path (from the bank folder) -> sha256 of each image, sorted.
        source: Folder the images were linked or imported from, if any.
        format_version: Manifest format.
    """

    kind: str
    generator: str
    params: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    files: dict[str, str] = field(default_factory=dict)
    source: str | None = None
    format_version: int = FORMAT_VERSION

    @property
    def count(self) -> int:
        """Number of images."""
        return len(self.files)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def checksums(folder: Path, files: list[Path]) -> dict[str, str]:
    """``{path relative to folder: sha256}`` for ``files`` (all under ``folder``), sorted by path."""
    return {f.relative_to(folder).as_posix(): sha256_file(f) for f in sorted(files)}


def write_manifest(folder: str | Path, manifest: BankManifest) -> Path:
    """Write ``manifest.json`` into ``folder`` atomically (``count`` is stored for readers' convenience)."""
    if manifest.kind not in KINDS:
        raise ValueError(f"unknown bank kind {manifest.kind!r}; known: {', '.join(KINDS)}")
    path = Path(folder) / MANIFEST
    write_json(path, asdict(manifest) | {"count": manifest.count})
    return path


def read_manifest(folder: str | Path) -> BankManifest:
    """Read and check a bank's manifest.

    Raises:
        DataError: No manifest (the folder is not a bank, or its build was interrupted), unreadable
            JSON, missing fields, an unknown kind, or a stored count that disagrees with the files.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise DataError(f"{folder}: not an anomaly bank (no {MANIFEST}); build it with the banks phase "
                        "(`snakemake banks_all`) or the `synthad` bank commands")
    data = read_json_object(path)
    count = data.pop("count", None)
    try:
        manifest = BankManifest(**data)
    except TypeError as exc:
        raise DataError(f"{path}: malformed bank manifest ({exc})") from exc
    if manifest.kind not in KINDS:
        raise DataError(f"{path}: unknown bank kind {manifest.kind!r}; known: {', '.join(KINDS)}")
    if count is not None and count != manifest.count:
        raise DataError(f"{path}: count {count} but {manifest.count} files listed")
    if manifest.count == 0:
        raise DataError(f"{path}: the bank is empty")
    return manifest


def parse_bank_flags(items: list[str]) -> dict[str, Path]:
    """Command-line ``--bank KIND=FOLDER`` items -> ``{kind: folder}``.

    Raises:
        ConfigError: An item is not ``KIND=FOLDER`` with a known kind.
    """
    from synthad.errors import ConfigError

    banks = {}
    for item in items:
        kind, sep, folder = item.partition("=")
        if not sep or kind not in KINDS or not folder:
            raise ConfigError(f"--bank {item!r}: expected KIND=FOLDER with KIND one of {', '.join(KINDS)}")
        banks[kind] = Path(folder)
    return banks
