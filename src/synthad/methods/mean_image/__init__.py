"""``mean_image``: the naive baseline (per-pixel distance to the mean training image).

Importing this package registers the method under the key ``mean_image``.
"""

from synthad.methods.mean_image.config import Config
from synthad.methods.mean_image.method import MeanImage

__all__ = ["Config", "MeanImage"]
