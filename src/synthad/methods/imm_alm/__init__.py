"""IMM + ALM (Lv et al., CVPRW 2023): importing this package registers the ``imm_alm`` method."""

from synthad.methods.imm_alm.config import Config
from synthad.methods.imm_alm.method import ImmAlm

__all__ = ["Config", "ImmAlm"]
