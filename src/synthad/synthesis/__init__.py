"""Anomaly synthesis shared by every method: Perlin masks, blending, sources, augmenters.

All functions are pure and take an explicit random generator (``numpy.random.Generator``), so a
seed fully determines a synthetic sample. The DRAEM recipe (:mod:`.draem`) composes the parts;
DMP (:mod:`.dmp`), NDP-Net (:mod:`.ndpnet`), Lv et al.'s DGM (:mod:`.dgm`), SLSG (:mod:`.slsg`) and
RealNet (:mod:`.realnet`) reuse them (their shared pieces are in :mod:`.common`) with their own
sources and opacities.
"""

from synthad.synthesis.augment import AUGMENTERS, augment_random
from synthad.synthesis.blend import blend
from synthad.synthesis.common import choose, foreground_perlin_mask, rotate_with_foreground
from synthad.synthesis.dgm import DgmSynthesizer, dgm_anomaly, ellipse_mask
from synthad.synthesis.dmp import DmpSynthesizer, dmp_blend, dmp_mask
from synthad.synthesis.draem import DraemSynthesizer, draem_anomaly, rotate_original
from synthad.synthesis.ndpnet import NdpNetSynthesizer, ndpnet_anomaly
from synthad.synthesis.perlin import perlin_mask, perlin_noise, rotate
from synthad.synthesis.realnet import RealNetSynthesizer, realnet_anomaly
from synthad.synthesis.sample import ImageSource, SyntheticSample, TrainingPool, finish, normal_sample
from synthad.synthesis.slsg import SlsgSynthesizer, permute_patches, slsg_anomaly, texture_delta
from synthad.synthesis.textures import builtin_natural_images, builtin_textures

__all__ = [
    "AUGMENTERS", "DraemSynthesizer", "ImageSource", "SyntheticSample", "TrainingPool", "augment_random",
    "blend", "builtin_natural_images", "builtin_textures", "draem_anomaly", "finish", "normal_sample",
    "perlin_mask", "perlin_noise", "rotate", "rotate_original",
    # Per-paper synthesizers and their pure functions.
    "DgmSynthesizer", "DmpSynthesizer", "NdpNetSynthesizer", "RealNetSynthesizer", "SlsgSynthesizer",
    "choose", "dgm_anomaly", "dmp_blend", "dmp_mask", "ellipse_mask", "foreground_perlin_mask",
    "ndpnet_anomaly", "permute_patches", "realnet_anomaly", "rotate_with_foreground", "slsg_anomaly",
    "texture_delta",
]
