"""Anomaly synthesis shared by every method: Perlin masks, blending, texture sources, augmenters.

All functions are pure and take an explicit random generator (``numpy.random.Generator``), so a
seed fully determines a synthetic sample. The DRAEM recipe (:mod:`.draem`) composes the parts;
DMP, NDP-Net, RealNet and SLSG reuse them with their own sources and opacities.
"""

from synthad.synthesis.augment import AUGMENTERS, augment_random
from synthad.synthesis.blend import blend
from synthad.synthesis.draem import DraemSynthesizer, draem_anomaly, rotate_original
from synthad.synthesis.perlin import perlin_mask, perlin_noise, rotate
from synthad.synthesis.textures import (
    TextureSource,
    builtin_textures,
    list_texture_files,
    write_builtin_textures,
)

__all__ = [
    "AUGMENTERS", "DraemSynthesizer", "TextureSource", "augment_random", "blend", "builtin_textures",
    "draem_anomaly", "list_texture_files", "perlin_mask", "perlin_noise", "rotate", "rotate_original",
    "write_builtin_textures",
]
