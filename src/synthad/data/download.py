"""Resumable, checksummed downloads and safe archive extraction.

* A download goes to ``<file>.part`` and resumes from its size with an HTTP ``Range`` request;
  only a verified file is renamed to its final name, so a completed download is never lost and a
  broken one never looks complete.
* Verification: SHA-256 and/or MD5 where the registry knows them; otherwise only the size, with a
  warning (the registry never invents a checksum).
* Extraction refuses absolute paths, ``..``, links leading outside the destination and device
  files, and uses ``tarfile``'s ``data`` filter as a second line of defence: an archive never
  writes outside its folder (docs/design.md#conventions).
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import warnings
import zipfile
from pathlib import Path, PurePosixPath

import requests
from tqdm import tqdm

from synthad.data.registry import DatasetSpec, RemoteFile
from synthad.errors import DataError
from synthad.utils.io import atomic_dir, write_json

CHUNK = 1 << 20


class ChecksumWarning(UserWarning):
    """A file was accepted on its size alone because no checksum is registered."""


def file_digest(path: Path, algorithm: str) -> str:
    """Hex digest of a file (``sha256`` or ``md5``), read in chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: Path, remote: RemoteFile) -> None:
    """Check a downloaded file against the registry's size and checksums.

    Raises:
        DataError: Size or checksum differs; the message names the file and both values.
    """
    size = path.stat().st_size
    if remote.size_bytes is not None and size != remote.size_bytes:
        raise DataError(f"{path}: size {size} bytes, expected {remote.size_bytes} ({remote.url})")
    checks = [(a, h) for a, h in (("sha256", remote.sha256), ("md5", remote.md5)) if h]
    if not checks:
        warnings.warn(f"{remote.filename}: no checksum registered; only the size was checked",
                      ChecksumWarning, stacklevel=2)
    for algorithm, expected in checks:
        actual = file_digest(path, algorithm)
        if actual.lower() != expected.lower():
            raise DataError(f"{path}: {algorithm} mismatch: expected {expected.lower()}, got {actual}")


def download_file(remote: RemoteFile, dest: Path, timeout: float = 60.0) -> Path:
    """Download ``remote`` to ``dest`` (resuming ``dest.part``) and verify it.

    A file already at ``dest`` is verified and kept. A ``.part`` file that fails verification is
    deleted (it is the only thing this function deletes).

    Returns:
        ``dest``.

    Raises:
        DataError: Network or HTTP failure (rerun to resume), or a size/checksum mismatch.
    """
    dest = Path(dest)
    if dest.is_file():
        verify_file(dest, remote)  # a bad complete file is reported, never silently replaced
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        _fetch(remote.url, part, timeout)
    except requests.RequestException as exc:
        raise DataError(f"{remote.url}: download failed ({exc}); rerun to resume from {part}") from exc
    try:
        verify_file(part, remote)
    except DataError:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, dest)
    return dest


def _fetch(url: str, part: Path, timeout: float) -> None:
    """Append the missing bytes of ``url`` to ``part`` with a progress bar."""
    start = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={start}-"} if start else {}
    with requests.get(url, headers=headers, stream=True, timeout=timeout) as response:
        if start and response.status_code == 416:  # nothing left to fetch: part is complete
            return
        response.raise_for_status()
        if start and response.status_code != 206:  # server ignored Range: start over
            start = 0
        length = int(response.headers.get("Content-Length", 0)) or None
        total = start + length if length else None
        with open(part, "ab" if start else "wb") as out, tqdm(
            total=total, initial=start, unit="B", unit_scale=True, desc=part.name[:-5]
        ) as bar:
            for block in response.iter_content(CHUNK):
                out.write(block)
                bar.update(len(block))


# --------------------------------------------------------------------------- extraction
def _check_member(name: str, dest: Path, archive: Path) -> Path:
    """Resolve an archive member's target and refuse anything leaving ``dest``."""
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or (pure.parts and ":" in pure.parts[0]):
        raise DataError(f"{archive}: unsafe member path {name!r} (absolute or with '..')")
    target = (dest / pure).resolve()
    if not target.is_relative_to(dest.resolve()):
        raise DataError(f"{archive}: member {name!r} would be written outside {dest}")
    return target


def _check_tar_member(member: tarfile.TarInfo, dest: Path, archive: Path) -> None:
    target = _check_member(member.name, dest, archive)
    if member.isdev():
        raise DataError(f"{archive}: member {member.name!r} is a device file")
    if member.issym() or member.islnk():
        # symlink targets are relative to the link's folder, hard-link targets to the archive root
        base = target.parent if member.issym() else dest.resolve()
        link = PurePosixPath(member.linkname)
        resolved = (base / link).resolve()
        if link.is_absolute() or not resolved.is_relative_to(dest.resolve()):
            raise DataError(f"{archive}: link {member.name!r} -> {member.linkname!r} points outside {dest}")


def extract_archive(archive: Path, dest: Path) -> None:
    """Extract a ``.zip`` or tar (plain, ``.gz``, ``.xz``, ``.bz2``) archive into ``dest``.

    Raises:
        DataError: Unknown format, corrupt archive, or a member that would leave ``dest``.
    """
    archive, dest = Path(archive), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    _check_member(info.filename, dest, archive)
                zf.extractall(dest)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive, "r:*") as tf:
                members = tf.getmembers()
                for member in members:
                    _check_tar_member(member, dest, archive)
                tf.extractall(dest, members=members, filter="data")
        else:
            raise DataError(f"{archive}: not a zip or tar archive")
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise DataError(f"{archive}: cannot extract ({exc})") from exc


# --------------------------------------------------------------------------- data sets
def find_data_root(spec: DatasetSpec, base: Path) -> Path | None:
    """The folder under ``base`` (itself, ``root_subdir`` or one level down) holding the data."""
    base = Path(base)
    candidates = [base / spec.root_subdir] if spec.root_subdir else []
    candidates.append(base)
    if base.is_dir():
        candidates += sorted(d for d in base.iterdir() if d.is_dir())
    for candidate in candidates:
        if _looks_like_root(spec, candidate):
            return candidate
    return None


def _looks_like_root(spec: DatasetSpec, folder: Path) -> bool:
    if spec.is_anomaly_source:
        return (folder / "images").is_dir()
    if not spec.categories:
        return (folder / "train").is_dir() or any((d / "train").is_dir() for d in _subdirs(folder))
    return any((folder / cat).is_dir() for cat in spec.categories)


def _subdirs(folder: Path) -> list[Path]:
    return [d for d in folder.iterdir() if d.is_dir()] if folder.is_dir() else []


def prepare_dataset(spec: DatasetSpec, out_dir: Path, path: Path | str | None = None,
                    archive_dir: Path | None = None) -> Path:
    """Download + verify + extract a data set, or register a local copy; write ``source.json``.

    Args:
        spec: The data set.
        out_dir: ``data/raw/<name>``; receives ``source.json`` (and ``archives/``, ``data/``
            when downloading).
        path: A local copy (archive root or folder); nothing is downloaded then.
        archive_dir: Where archives (and ``.part`` files) go; default ``out_dir/archives``. Put it
            outside ``out_dir`` where a workflow deletes the outputs of a failed job, so that a
            rerun resumes the download.

    Returns:
        The absolute data root recorded in ``out_dir/source.json``.

    Raises:
        DataError: No automatic download, a missing or unrecognised folder, or a failed download.
    """
    out_dir = Path(out_dir)
    if path is not None:
        root, downloaded = _local_root(spec, Path(path)), False
    else:
        root, downloaded = _download_root(spec, out_dir, Path(archive_dir or out_dir / "archives")), True
    root = root.resolve()
    write_json(out_dir / "source.json", {"dataset": spec.key, "root": str(root), "downloaded": downloaded})
    return root


def _local_root(spec: DatasetSpec, path: Path) -> Path:
    if not path.is_dir():
        raise DataError(f"{path}: folder given with --path does not exist")
    root = find_data_root(spec, path)
    if root is None:
        expected = "images/" if spec.is_anomaly_source else (
            ", ".join(spec.categories[:3]) + "..." if spec.categories else "train/ or <category>/train/")
        raise DataError(f"{path}: does not look like {spec.title} (expected {expected} inside)")
    return root


def _download_root(spec: DatasetSpec, out_dir: Path, archive_dir: Path) -> Path:
    if spec.key in ("demo", "folder") or not spec.files:
        hint = {"demo": "it is generated by `synthad demo`",
                "folder": "give the folder with --path"}.get(spec.key, f"get it from {spec.homepage} "
                                                           "and pass --path DIR")
        raise DataError(f"data set {spec.key!r} has no automatic download: {hint}")
    data = out_dir / "data"
    root = find_data_root(spec, data) if data.is_dir() else None
    if root is not None:  # extracted earlier: keep it
        return root
    archives = [download_file(f, archive_dir / f.filename) for f in spec.files]
    with atomic_dir(data) as tmp:  # a failed extraction leaves no half folder
        for remote, archive in zip(spec.files, archives, strict=True):
            if remote.extract:
                extract_archive(archive, tmp)
    root = find_data_root(spec, data)
    if root is None:
        raise DataError(f"{data}: the extracted archive does not contain the expected {spec.title} folders")
    return root


def read_source(path: Path | str) -> dict:
    """Read ``data/raw/<name>/source.json`` (written by ``synthad download`` or ``synthad demo``).

    Returns:
        ``{"dataset": key, "root": Path, "downloaded": bool}``.

    Raises:
        DataError: Missing, unreadable, incomplete, or its root folder does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: source file does not exist (run `synthad download` first)")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from exc
    missing = [k for k in ("dataset", "root") if not isinstance(data, dict) or k not in data]
    if missing:
        raise DataError(f"{path}: lacks key(s) {', '.join(missing)}")
    root = Path(data["root"])
    if not root.is_dir():
        raise DataError(f"{path}: data root {root} does not exist")
    return {"dataset": data["dataset"], "root": root, "downloaded": bool(data.get("downloaded", False))}
