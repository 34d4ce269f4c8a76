"""PatchCore (Roth et al., CVPR 2022): importing this package registers the ``patchcore`` method."""

from synthad.methods.patchcore.method import Config, PatchCore

__all__ = ["Config", "PatchCore"]
