"""Declared valid ranges of numeric configuration fields.

Every ``int`` or ``float`` field of a configuration dataclass (``params.yaml`` sections, each
method's ``Config``, ``SdasConfig``) is annotated with the range it is valid in::

    lr: PositiveFloat = 1e-4
    anomaly_prob: Probability = 0.5
    n_augmenters: Annotated[int, Range(ge=1, le=10)] = 3

:func:`synthad.config.build` reads the :class:`Range` from the annotation and rejects a value
outside it at parse time, naming the key (``method_params.draem.lr: -1.0 is out of range (must be
> 0)``), so an impossible hyper-parameter never reaches a training run. Constraints a range cannot
express (odd kernels, multiples of 32, ``beta_min <= beta_max``) stay in the dataclass's
``__post_init__``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from synthad.errors import ConfigError


@dataclass(frozen=True)
class Range:
    """Bounds of a number: ``gt`` / ``ge`` below, ``lt`` / ``le`` above (``None``: unbounded)."""

    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None

    def __post_init__(self):
        if self.gt is not None and self.ge is not None or self.lt is not None and self.le is not None:
            raise ValueError("a Range has at most one lower (gt/ge) and one upper (lt/le) bound")

    def contains(self, value: float) -> bool:
        """Whether ``value`` satisfies every bound (NaN never does)."""
        return not (
            (self.gt is not None and not value > self.gt)
            or (self.ge is not None and not value >= self.ge)
            or (self.lt is not None and not value < self.lt)
            or (self.le is not None and not value <= self.le)
        )

    def error(self, value: float) -> str | None:
        """``"-1.0 is out of range (must be > 0)"`` when ``value`` is outside, else ``None``."""
        return None if self.contains(value) else f"{value!r} is out of range (must be {self})"

    def check(self, value: float, where: str) -> None:
        """Raise :class:`ConfigError` ``"<where>: <value> is out of range (...)"`` when outside."""
        message = self.error(value)
        if message is not None:
            raise ConfigError(f"{where}: {message}")

    def __str__(self) -> str:
        """``> 0``, ``<= 10``, ``in [0, 1]`` or ``in (0, 1]``."""
        # (bracket, operator, bound) of each side; the bound is None when that side is open
        low = ("(", ">", self.gt) if self.gt is not None else ("[", ">=", self.ge)
        high = (")", "<", self.lt) if self.lt is not None else ("]", "<=", self.le)
        if low[2] is not None and high[2] is not None:
            return f"in {low[0]}{_num(low[2])}, {_num(high[2])}{high[0]}"
        bound = low if low[2] is not None else high
        return f"{bound[1]} {_num(bound[2])}" if bound[2] is not None else "any number"


def _num(bound: float) -> str:
    return f"{bound:g}" if isinstance(bound, float) else str(bound)


def range_of(annotation) -> Range | None:
    """The :class:`Range` in an ``Annotated[...]`` annotation's metadata (``None``: none)."""
    return next((m for m in getattr(annotation, "__metadata__", ()) if isinstance(m, Range)), None)


# ----------------------------------------------------------------------------- readable aliases
PositiveInt = Annotated[int, Range(ge=1)]  # counts, sizes, widths, epochs
NonNegativeInt = Annotated[int, Range(ge=0)]  # 0 = off / skipped
PositiveFloat = Annotated[float, Range(gt=0)]  # learning rates, scales
NonNegativeFloat = Annotated[float, Range(ge=0)]  # loss weights (0 drops the term), decays
Probability = Annotated[float, Range(ge=0, le=1)]  # also fractions of a whole
Fraction = Probability
DecayFactor = Annotated[float, Range(gt=0, le=1)]  # multiplies the learning rate at a milestone
# torch.manual_seed rejects seeds >= 2**64 and NumPy's legacy seeding those >= 2**32; negative seeds
# are rejected by NumPy's generators.
Seed = Annotated[int, Range(ge=0, le=2**32 - 1)]
# DRAEM's Perlin recipe (also DMP's and RealNet's): cells per axis = 2**randint(min, max); a lattice
# of 2**10 cells per axis is finer than any image the pipeline trains on.
PerlinScale = Annotated[int, Range(ge=0, le=10)]
# Perlin noise lies in about [-1, 1]; at or above 1 no pixel would ever be anomalous.
PerlinThreshold = Annotated[float, Range(ge=0, lt=1)]
