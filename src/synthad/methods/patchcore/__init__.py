"""PatchCore (Roth et al., CVPR 2022): importing this package registers the ``patchcore`` method."""

from synthad.methods.patchcore.config import Config
from synthad.methods.patchcore.method import PatchCore

__all__ = ["Config", "PatchCore"]
