"""DRAEM (Zavrtanik et al., ICCV 2021): importing this package registers the ``draem`` method."""

from synthad.methods.draem.config import Config
from synthad.methods.draem.method import Draem

__all__ = ["Config", "Draem"]
