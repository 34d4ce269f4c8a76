"""The banks SynthAD builds: built-in textures and natural images, user folders, released SIA sets.

SDAS banks (sampled from a trained diffusion model) are written by :mod:`synthad.banks.sdas`.
"""

from __future__ import annotations

from pathlib import Path

from synthad.banks.build import link_folder_bank, list_images, write_image_bank
from synthad.banks.manifest import BankManifest
from synthad.errors import DataError
from synthad.synthesis.textures import PROCEDURAL, SKIMAGE_NAMES, builtin_natural_images, builtin_textures


def build_builtin_textures(out: str | Path, size: int = 256, seed: int = 0,
                           variants: int = 4) -> BankManifest:
    """The offline texture bank (DTD stand-in): 20 scikit-image photos + ``8 * variants`` procedural."""
    params = {"size": size, "variants": variants, "skimage": list(SKIMAGE_NAMES),
              "procedural": list(PROCEDURAL)}
    return write_image_bank(out, builtin_textures(size, seed, variants), "textures", "builtin", params, seed)


def build_builtin_natural(out: str | Path, size: int = 256, seed: int = 0, count: int = 200) -> BankManifest:
    """The offline natural-image bank (ImageNet / VOC stand-in): random crops of real photographs."""
    images = builtin_natural_images(size, seed, count)
    return write_image_bank(out, images, "natural", "builtin", {"size": size, "count": count}, seed)


def import_sia(out: str | Path, sia_dir: str | Path, category: str) -> BankManifest:
    """Link RealNet's released SIA images of one category as an ``sdas`` bank (no SDAS training).

    RealNet's release (docs/official-code.md#realnet-sdas-sampling) stores them as
    ``<sia_dir>/<category>/*.jpg``, 256x256, about 10k per category; they are linked, not copied.

    Raises:
        DataError: The category's folder is missing or empty; the message lists what is there.
    """
    folder = Path(sia_dir) / category
    if not folder.is_dir():
        present = (sorted(p.name for p in Path(sia_dir).iterdir() if p.is_dir())
                   if Path(sia_dir).is_dir() else [])
        raise DataError(f"{folder}: no SIA images for category {category!r}"
                        " (expected <sia_dir>/<category>/*.jpg;"
                        f" found categories: {', '.join(present) or 'none'})")
    list_images(folder)  # a clear error when it holds no image
    return link_folder_bank(out, folder, "sdas", "sia_import", {"category": category})
