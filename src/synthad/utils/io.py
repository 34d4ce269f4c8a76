"""Atomic output: a stage that fails leaves no half-written file behind (docs/design.md#conventions)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only on success.

    The temporary file keeps the destination's suffix so that writers which infer the format
    from the extension (``np.savez``, ``cv2.imwrite``, ``savefig``) behave.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the file normal permissions
        os.replace(tmp, path)
    except OSError as exc:
        _name_output(exc, path)
        raise
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a temporary directory that replaces ``path`` as a whole only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    tmp.chmod(0o777 & ~_umask())  # mkdtemp makes it 0700; the result is an ordinary folder
    try:
        yield tmp
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except OSError as exc:
        _name_output(exc, path)
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _name_output(exc: OSError, path: Path) -> None:
    """Raise a failed ``write()``'s error again, naming ``path``; return for any other error.

    Disk full or an I/O error on an open file raises a plain ``OSError(errno, strerror)`` without
    a file name, and the CLI's one-line message is ``<file>: <reason>``: the output it was for is
    the best name there is. Subclasses (``requests``' network errors, ...) pass unchanged, as
    callers may catch them by type.
    """
    if type(exc) is OSError and exc.filename is None and exc.errno is not None:
        raise OSError(exc.errno, exc.strerror, str(path)) from exc


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def save_torch(obj: Any, path: str | Path) -> None:
    """``torch.save`` ``obj`` to ``path`` atomically and byte-reproducibly.

    ``torch.save`` to a file names the zip records after the file (``<stem>/data.pkl``), so saving
    through :func:`atomic_path`'s random temporary name made every ``model.pt`` differ; saved to a
    buffer, the records are always ``archive/...`` and the same object gives the same bytes.
    """
    import torch  # deferred: keeps this module light for the stages that never save tensors

    buffer = io.BytesIO()
    torch.save(obj, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getbuffer())


def write_text(path: str | Path, text: str) -> None:
    """Write a text file atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def read_json_object(path: str | Path) -> dict:
    """Read a JSON file that must hold an object; any failure is a DataError naming the file."""
    from synthad.errors import DataError  # deferred: keeps this module free of package imports

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file does not exist")
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected a JSON object")
    return data
