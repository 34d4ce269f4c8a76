"""RealNet (Zhang et al., CVPR 2024): importing this package registers the ``realnet`` method."""

from synthad.methods.realnet.config import Config
from synthad.methods.realnet.method import RealNet

__all__ = ["Config", "RealNet"]
