"""Image files: reading images and masks (with errors that name the file), and writing images.

This module sits below :mod:`synthad.data` and :mod:`synthad.masks`, which both read image files.

Files are decoded unchanged (every bit depth and channel layout OpenCV reads: 8- and 16-bit PNG,
TIFF, BMP, JPEG; grey, grey+alpha, RGB, RGBA, palette, which OpenCV expands to its colours).

* Images: an alpha channel is dropped, grey is repeated to RGB, and 16-bit values keep their top
  8 bits (``v >> 8``, the full 16-bit range onto 0..255, as OpenCV's own 16-to-8-bit reading does).
* Masks: **0 = normal, any non-zero value = defect**, applied to the values as stored in the file
  (not reduced to 8 bits, so a 16-bit value of 1 is a defect), after dropping an alpha channel and
  taking the maximum over the colour channels (a palette mask: any palette colour but black is a
  defect). Masks must be lossless (PNG, BMP or TIFF): JPEG compression noise would make every pixel
  near an edge a defect, so a JPEG mask is a DataError.

``cv2.imwrite`` does not raise when it cannot write (disk full, folder gone, no permission): it
returns ``False`` and leaves nothing or a truncated file, and the failure surfaces later as a
misleading "file not found". Every image SynthAD writes goes through :func:`write_image`.

Bringing images to the square working resolution is :mod:`synthad.utils.geometry`'s job.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from synthad.errors import DataError

LOSSY_SUFFIXES = {".jpg", ".jpeg", ".jpe", ".jfif"}
JPEG_SIGNATURE = b"\xff\xd8\xff"


def write_image(path: str | Path, image: np.ndarray) -> Path:
    """Write an RGB ``(H, W, 3)`` or grey ``(H, W)`` uint8 image; the suffix picks the format.

    The parent folder is created. Writers that want atomicity write inside an
    :func:`~synthad.utils.io.atomic_dir` (or an :func:`~synthad.utils.io.atomic_path`).

    Returns:
        ``path`` as a Path.

    Raises:
        DataError: The image could not be written (the message names the file).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = image if image.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR)
    try:
        written = cv2.imwrite(str(path), data)
    except cv2.error as exc:  # e.g. a suffix OpenCV has no encoder for
        raise DataError(f"{path}: cannot write image: {str(exc).strip().splitlines()[-1]}") from exc
    if not written:
        raise DataError(f"{path}: cannot write image (disk full, or the folder is not writable?)")
    return path


def read_image(path: str | Path) -> np.ndarray:
    """Read an image file as RGB uint8 ``(H, W, 3)``.

    Grey is repeated to 3 channels, an alpha channel is dropped, a palette image gives its colours,
    and 16-bit values keep their top 8 bits (``v >> 8``).

    Raises:
        DataError: The file is missing, truncated, not an image, or not 8/16-bit.
    """
    image = _decode(path, "image")
    if image.dtype == np.uint16:  # 16-bit PNG/TIFF (some data sets): keep the top 8 bits
        image = (image >> 8).astype(np.uint8)
    if image.dtype != np.uint8:
        raise DataError(f"{path}: unsupported pixel type {image.dtype} (expected 8- or 16-bit)")
    image = _drop_alpha(image, path, "image")
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_mask(path: str | Path) -> np.ndarray:
    """Read a mask file as bool ``(H, W)``: 0 = normal, any non-zero value = defect.

    The rule applies to the stored values (see :func:`read_mask_values`), so a 16-bit mask of
    values ``{0, 1}`` and an 8-bit mask of ``{0, 255}`` mean the same.

    Raises:
        DataError: The file is missing, undecodable or a (lossy) JPEG.
    """
    return read_mask_values(path) != 0


def read_mask_values(path: str | Path) -> np.ndarray:
    """The stored values of a mask file as ``(H, W)``, in the file's own dtype.

    An alpha channel is dropped and colour channels are reduced by their maximum (a palette mask
    gives the maximum of its colours' channels); values are not rescaled (a 16-bit 1 stays 1).

    Raises:
        DataError: The file is missing, undecodable, or a JPEG ("masks must be lossless").
    """
    values = _drop_alpha(_decode(path, "mask"), path, "mask")
    return values.max(axis=2) if values.ndim == 3 else values


def _drop_alpha(pixels: np.ndarray, path: str | Path, what: str) -> np.ndarray:
    """``(H, W)`` grey or ``(H, W, 3)`` BGR from any decoded channel layout (alpha dropped)."""
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    if channels in (1, 2):  # grey, grey + alpha (OpenCV returns PNG grey+alpha as BGRA)
        return pixels if pixels.ndim == 2 else pixels[:, :, 0]
    if channels in (3, 4):  # BGR, BGRA
        return pixels[:, :, :3]
    raise DataError(f"{path}: {what} has {channels} channels (expected grey, RGB, with or without alpha)")


def _decode(path: str | Path, what: str) -> np.ndarray:
    """Decode an image file unchanged; a missing or undecodable file is a DataError naming it.

    ``what == "mask"`` also refuses JPEG files, by suffix or by content (JPEG bytes under a
    ``.png`` name are just as lossy).
    """
    if not Path(path).is_file():
        raise DataError(f"{path}: {what} file does not exist")
    data = np.fromfile(str(path), dtype=np.uint8)
    jpeg = Path(path).suffix.lower() in LOSSY_SUFFIXES or data[:3].tobytes() == JPEG_SIGNATURE
    if what == "mask" and jpeg:
        raise DataError(f"{path}: masks must be lossless: PNG, BMP or TIFF (this is a JPEG file)")
    with _quiet_opencv():
        decoded = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if decoded is None:
        raise DataError(f"{path}: cannot decode {what} (corrupt or not an image file)")
    return decoded


@contextlib.contextmanager
def _quiet_opencv() -> Iterator[None]:
    """Silence OpenCV's own log while decoding.

    A truncated PNG makes OpenCV/libpng print warning lines before failing; the DataError raised
    by :func:`_decode` names the file, so the user sees one line. (Decoding is not threaded
    in this project; with threads the restored level could interleave, which only affects logs.)
    """
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(level)
