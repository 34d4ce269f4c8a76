"""Writing one image file: the single place that turns a failed ``cv2.imwrite`` into an error.

``cv2.imwrite`` does not raise when it cannot write (disk full, folder gone, no permission): it
returns ``False`` and leaves nothing or a truncated file, and the failure surfaces later as a
misleading "file not found". Every image SynthAD writes goes through :func:`write_image`.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from synthad.errors import DataError


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
