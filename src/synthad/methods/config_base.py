"""The fields that method ``Config`` classes share, each declared once with its range and meaning.

Every method's ``Config`` (``methods/<key>/config.py``) derives from one of these bases:

* :class:`MethodConfig`: ``image_size`` (every method);
* :class:`NetworkConfig`: adds ``eval_batch_size`` (every method that runs a network in ``predict``);
* :class:`ScoreKernelConfig`: adds ``score_kernel`` / ``scale_score_kernel`` (the methods whose
  image score is the maximum of a mean-filtered map, DRAEM's score).

The defaults here are the value of every method that inherits them; a method whose paper says
otherwise, or whose field has a stricter range, redeclares the field in its own ``Config`` (a
redeclared field keeps its place, first). Fields whose paper value or meaning differs from method
to method (``lr``, ``batch_size``, ``epochs``: the optimiser, what a batch holds) are declared by
each method, next to its other hyper-parameters. All bases are keyword-only: a ``Config`` is built
from ``params.yaml``'s ``method_params.<key>`` mapping, never positionally.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from synthad.utils.ranges import PositiveInt, Range


@dataclass(kw_only=True)
class MethodConfig:
    """What every method's ``Config`` has.

    Attributes:
        image_size: Side of the square images the method trains and scores at (256, the papers'
            resolution); ``predict`` resizes its input to it and its maps back to the input's size.
            A method that needs a multiple (five halvings: 32) checks it in ``__post_init__``.
    """

    image_size: Annotated[int, Range(ge=32)] = 256


@dataclass(kw_only=True)
class NetworkConfig(MethodConfig):
    """A method that runs a network in ``predict``.

    Attributes:
        eval_batch_size: Images per forward pass in ``predict`` (memory only: the scores do not
            depend on it).
    """

    eval_batch_size: PositiveInt = 16


@dataclass(kw_only=True)
class ScoreKernelConfig(NetworkConfig):
    """A method whose image score is the maximum of the mean-filtered anomaly map (DRAEM's score).

    :func:`synthad.methods.inference.score_kernel_size` turns the two fields into the filter side.

    Attributes:
        score_kernel: Side of the mean filter at 256 px (21, DRAEM's official test code).
        scale_score_kernel: Scale ``score_kernel`` with ``image_size / 256`` (odd, >= 1), so the
            filter covers the same fraction of the image at any resolution.
    """

    score_kernel: PositiveInt = 21
    scale_score_kernel: bool = True
