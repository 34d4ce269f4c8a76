"""Settings of the ``mean_image`` baseline (no paper: the defaults are ours)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from synthad.methods.config_base import MethodConfig
from synthad.utils.ranges import PositiveInt, Range


@dataclass(kw_only=True)
class Config(MethodConfig):
    """Settings of :class:`~synthad.methods.mean_image.method.MeanImage`.

    Attributes:
        image_size: Side of the square resolution at which the mean is stored and images are
            compared (256; the map is resized back to the input size). Any side >= 8: no network.
        batch_size: Images per batch while averaging (memory only; the result does not depend on it).
    """

    image_size: Annotated[int, Range(ge=8)] = 256
    batch_size: PositiveInt = 16

    def __post_init__(self):
        if self.image_size < 8 or self.batch_size < 1:
            raise ValueError("mean_image needs image_size >= 8 and batch_size >= 1")
