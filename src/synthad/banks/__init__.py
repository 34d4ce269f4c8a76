"""Offline anomaly banks: build, read, import (docs/design.md#data-flow).

A bank is a folder of anomaly-source images with a manifest (:mod:`.manifest`): built-in textures
(DTD stand-in) or DTD itself, natural photographs (ImageNet/VOC stand-in) or a user folder, and per
category SDAS samples or RealNet's released SIA images. Training reads every kind through
:func:`open_bank`; a missing or corrupt bank is a :class:`~synthad.errors.DataError`.
"""

from synthad.banks.build import link_folder_bank, list_images, write_image_bank
from synthad.banks.manifest import KINDS, BankManifest, parse_bank_flags, read_manifest, write_manifest
from synthad.banks.reader import Bank, open_bank
from synthad.banks.sources import build_builtin_natural, build_builtin_textures, import_sia

__all__ = [
    "KINDS", "Bank", "BankManifest", "build_builtin_natural", "build_builtin_textures", "import_sia",
    "link_folder_bank", "list_images", "open_bank", "parse_bank_flags", "read_manifest", "write_image_bank",
    "write_manifest",
]
