"""SLSG (Yang, Liu et al.): GPT-Net pre-training, SegNet with the SG block; registers ``"slsg"``."""

from synthad.methods.slsg.config import Config
from synthad.methods.slsg.method import Slsg

__all__ = ["Config", "Slsg"]
