"""Reading images and masks listed in an index, with errors that name the file.

Images are returned as RGB float in ``[0, 1]`` (no ImageNet normalisation: methods that need it
apply it themselves). Resizing is bilinear for images and nearest-neighbour for masks
(DESIGN.md evaluation protocol).

Files are decoded unchanged (every bit depth and channel layout OpenCV reads: 8- and 16-bit PNG,
TIFF, BMP, JPEG; grey, grey+alpha, RGB, RGBA, palette, which OpenCV expands to its colours).

* Images: an alpha channel is dropped, grey is repeated to RGB, and 16-bit values keep their top
  8 bits (``v >> 8``, the full 16-bit range onto 0..255, as OpenCV's own 16-to-8-bit reading does).
* Masks: **0 = normal, any non-zero value = defect**, applied to the values as stored in the file
  (not reduced to 8 bits, so a 16-bit value of 1 is a defect), after dropping an alpha channel and
  taking the maximum over the colour channels (a palette mask: any palette colour but black is a
  defect). Masks must be lossless (PNG, BMP or TIFF): JPEG compression noise would make every pixel
  near an edge a defect, so a JPEG mask is a DataError.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset
from tqdm import tqdm

from synthad.data.index import split_masks
from synthad.errors import DataError

LOSSY_SUFFIXES = {".jpg", ".jpeg", ".jpe", ".jfif"}
JPEG_SIGNATURE = b"\xff\xd8\xff"


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


def read_masks(joined: str, image_path: str, shape: tuple[int, int]) -> np.ndarray:
    """Union of the masks of one index row, checked against the image size.

    Args:
        joined: ``mask_path`` of the row (``;``-separated, may be empty).
        image_path: The image the masks belong to (for the error message).
        shape: ``(H, W)`` of that image at its original resolution.

    Returns:
        Bool mask ``(H, W)``; all False when the row has no mask.

    Raises:
        DataError: A mask is missing, undecodable or lossy, or its size differs from the image's.
    """
    union = np.zeros(shape, dtype=bool)
    for path in split_masks(joined):
        mask = read_mask(path)
        if mask.shape != shape:
            raise DataError(
                f"{path}: mask is {mask.shape[1]}x{mask.shape[0]} but its image {image_path} is "
                f"{shape[1]}x{shape[0]}"
            )
        union |= mask
    return union


def verify_files(index: pd.DataFrame, progress: bool = True) -> None:
    """Decode every image and mask of an index, as training and evaluation will read them.

    Catches a corrupt file when the index is built instead of after training.

    Args:
        index: Rows of an index (columns ``path`` and ``mask_path``).
        progress: Show a tqdm bar.

    Raises:
        DataError: The first image or mask that is missing, undecodable, a JPEG mask, or a mask
            whose size differs from its image's (the message names the file).
    """
    rows = zip(index["path"], index["mask_path"], strict=True)
    for path, joined in tqdm(rows, total=len(index), desc="verify", unit="img", disable=not progress):
        image = read_image(path)
        read_masks(joined, path, image.shape[:2])


def resize_image(image: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of ``(H, W, C)`` to ``(size, size, C)``."""
    if image.shape[:2] == (size, size):
        return image
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_LINEAR)


def resize_mask(mask: np.ndarray, size: int) -> np.ndarray:
    """Nearest-neighbour resize of a bool ``(H, W)`` mask to ``(size, size)``."""
    if mask.shape == (size, size):
        return mask
    return cv2.resize(mask.astype(np.uint8), (size, size), interpolation=cv2.INTER_NEAREST) > 0


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """RGB uint8 ``(H, W, 3)`` -> float ``(3, H, W)`` in ``[0, 1]``."""
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float().div_(255.0)


class ImageDataset(Dataset):
    """Images of one split of an index, resized to ``size``.

    Args:
        index: Rows of the index (usually one split), see :mod:`synthad.data.index`.
        size: Side of the square output resolution.
        foreground_dir: Optional folder of foreground masks written by ``synthad masks``
            (see :func:`synthad.masks.foreground.mask_file_for`); adds a ``foreground`` item.

    Items are dicts: ``image`` ``(3, S, S)`` float in ``[0, 1]``, ``mask`` ``(1, S, S)`` float
    ground truth, ``label`` int, ``path`` str, and ``foreground`` ``(1, S, S)`` when requested.
    """

    def __init__(self, index: pd.DataFrame, size: int, foreground_dir: str | Path | None = None):
        self.rows = index.reset_index(drop=True)
        if len(self.rows) == 0:
            raise DataError("ImageDataset: no images in this split")
        self.size = size
        self.foreground_dir = Path(foreground_dir) if foreground_dir else None

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        row = self.rows.iloc[i]
        image = read_image(row["path"])
        mask = read_masks(row["mask_path"], row["path"], image.shape[:2])
        item = {
            "image": to_tensor(resize_image(image, self.size)),
            "mask": torch.from_numpy(resize_mask(mask, self.size)).float()[None],
            "label": int(row["label"]),
            "path": str(row["path"]),
        }
        if self.foreground_dir is not None:
            item["foreground"] = self._foreground(row["path"])
        return item

    def _foreground(self, image_path: str) -> torch.Tensor:
        from synthad.masks.foreground import mask_file_for  # deferred: avoids an import cycle

        fg = read_mask(mask_file_for(self.foreground_dir, image_path))
        return torch.from_numpy(resize_mask(fg, self.size)).float()[None]


def load_train_images(index_csv: str | Path, size: int, limit: int | None = None,
                      masks_dir: str | Path | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """The training images of an index (and their foreground masks) in memory, at ``size``.

    Downscaling uses area averaging (no aliasing of fine textures at small demo sizes).

    Args:
        index_csv: Index CSV of one category.
        size: Side of the square output.
        limit: At most this many images, spread evenly over the split (``None``: all).
        masks_dir: Foreground mask folder of the category (``None``: no masks).

    Returns:
        ``images (N, size, size, 3)`` uint8 and ``foregrounds (N, size, size)`` uint8 in ``{0, 1}``
        or ``None``.

    Raises:
        DataError: The index has no training image.
    """
    from synthad.data.index import read_index
    from synthad.masks.foreground import mask_file_for

    index = read_index(index_csv)
    paths = [str(p) for p in index.loc[index["split"] == "train", "path"]]
    if not paths:
        raise DataError(f"{index_csv}: no training images")
    if limit is not None and limit < len(paths):
        paths = [paths[i] for i in np.unique(np.linspace(0, len(paths) - 1, limit).round().astype(int))]
    images = np.stack([_area_resize(read_image(p), size, cv2.INTER_AREA) for p in paths])
    if masks_dir is None:
        return images, None
    fgs = [_area_resize(read_mask(mask_file_for(masks_dir, p)).astype(np.uint8), size, cv2.INTER_NEAREST)
           for p in paths]
    return images, np.stack(fgs)


def _area_resize(image: np.ndarray, size: int, interpolation: int) -> np.ndarray:
    if image.shape[:2] == (size, size):
        return image
    return cv2.resize(image, (size, size), interpolation=interpolation)


def load_pool_arrays(sources: list[tuple[str | Path, str | Path | None]], size: int,
                     limit: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Training images (and foregrounds) of several categories, concatenated.

    DMP draws its anomaly sources from the defect-free images of every category of the data set
    (Peng et al. 2024, Sec. 3.1); this reads them.

    Args:
        sources: ``(index_csv, masks_dir or None)`` per category.
        size: Side of the square output.
        limit: At most this many images per category (``None``: all).

    Returns:
        ``images (N, size, size, 3)`` uint8 and ``foregrounds (N, size, size)`` uint8, or ``None``
        when any category came without masks (then no foreground constrains the source).

    Raises:
        DataError: ``sources`` is empty or an index has no training image.
    """
    if not sources:
        raise DataError("no source categories given")
    parts = [load_train_images(index, size, limit, masks) for index, masks in sources]
    images = np.concatenate([p[0] for p in parts])
    if any(p[1] is None for p in parts):
        return images, None
    return images, np.concatenate([p[1] for p in parts])
