"""DMP (Peng et al. 2024, Sensors): importing this package registers the ``dmp`` method."""

from synthad.methods.dmp.config import Config
from synthad.methods.dmp.method import Dmp

__all__ = ["Config", "Dmp"]
