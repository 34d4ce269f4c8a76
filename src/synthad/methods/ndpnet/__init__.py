"""NDP-Net (Luo, Yao, Yu, IEEE TIM 2023): importing this package registers the ``ndpnet`` method."""

from synthad.methods.ndpnet.config import Config
from synthad.methods.ndpnet.method import NdpNet

__all__ = ["Config", "NdpNet"]
