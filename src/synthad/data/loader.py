"""Reading the images and masks listed in an index, at the square working resolution.

Images are returned as RGB float in ``[0, 1]`` (no ImageNet normalisation: methods that need it
apply it themselves). Decoding (bit depths, channel layouts, the mask rule 0 = normal, lossless
masks only) is :mod:`synthad.utils.images`'s; errors name the file.

Geometry (:mod:`synthad.utils.geometry`): every image, its ground-truth masks and its foreground
mask are brought to the square side ``S`` in the same way, the index's ``resize`` mode (``squash``
by default: both sides scaled to ``S``, as the papers do; ``pad``: letterboxed on black; ``crop``:
the centred square). Images are scaled bilinearly in :class:`ImageDataset` (training and
evaluation: the same interpolation as the bilinear resize methods apply inside ``predict``, so a
method sees its training and test images alike) and by area averaging in the in-memory pools of
:func:`load_train_images` (synthesis sources, SDAS and sheets, often far smaller than the files);
masks with nearest neighbour. Anomaly maps and metrics are at the evaluation side ``R``.

Each file is decoded and scaled once per run: every method's ``fit`` reads the training set once
into an in-memory pool (``methods.common.load_pool``) or in one pass (PatchCore, mean image),
and the steps draw from memory, so a training step costs the same for 256 px and 1024 px files.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset
from tqdm import tqdm

from synthad.data.index import read_index, resize_mode, split_masks
from synthad.errors import DataError
from synthad.masks.foreground import mask_file_for
from synthad.utils.geometry import resize_image, resize_mask
from synthad.utils.images import read_image, read_mask


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


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """RGB uint8 ``(H, W, 3)`` -> float ``(3, H, W)`` in ``[0, 1]``."""
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float().div_(255.0)


class ImageDataset(Dataset):
    """Images of one split of an index, brought to the square ``size`` by the index's ``resize`` mode.

    Args:
        index: Rows of the index (usually one split), see :mod:`synthad.data.index`; its
            ``resize`` column (absent: ``squash``) sets the geometry of images and masks alike.
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
        self.mode = resize_mode(self.rows)
        self.foreground_dir = Path(foreground_dir) if foreground_dir else None

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        row = self.rows.iloc[i]
        image = read_image(row["path"])
        mask = read_masks(row["mask_path"], row["path"], image.shape[:2])
        item = {
            "image": to_tensor(resize_image(image, self.size, self.mode)),
            "mask": torch.from_numpy(resize_mask(mask, self.size, self.mode)).float()[None],
            "label": int(row["label"]),
            "path": str(row["path"]),
        }
        if self.foreground_dir is not None:
            item["foreground"] = self._foreground(row["path"])
        return item

    def _foreground(self, image_path: str) -> torch.Tensor:
        fg = read_mask(mask_file_for(self.foreground_dir, image_path))
        return torch.from_numpy(resize_mask(fg, self.size, self.mode)).float()[None]


def load_train_images(index_csv: str | Path, size: int, limit: int | None = None,
                      masks_dir: str | Path | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """The training images of an index (and their foreground masks) in memory, at ``size``.

    The index's ``resize`` mode sets the geometry; images are scaled by area averaging (no aliasing
    of fine textures at small demo sizes), foregrounds with nearest neighbour.

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
    index = read_index(index_csv)
    mode = resize_mode(index)
    paths = [str(p) for p in index.loc[index["split"] == "train", "path"]]
    if not paths:
        raise DataError(f"{index_csv}: no training images")
    if limit is not None and limit < len(paths):
        paths = [paths[i] for i in np.unique(np.linspace(0, len(paths) - 1, limit).round().astype(int))]
    images = np.stack([resize_image(read_image(p), size, mode, cv2.INTER_AREA) for p in paths])
    if masks_dir is None:
        return images, None
    fgs = [resize_mask(read_mask(mask_file_for(masks_dir, p)), size, mode).astype(np.uint8) for p in paths]
    return images, np.stack(fgs)


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
