"""Each paper's synthesizer under its method key, built from the banks a category has.

Used by the synthesis contact sheets and by methods that want their paper's anomalies without
naming the class. Keys match ``methods/`` and ``params.yaml`` (``imm_alm`` is Lv et al.'s DGM).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from synthad.errors import DataError, UnknownNameError
from synthad.synthesis.dgm import DgmSynthesizer
from synthad.synthesis.dmp import DmpSynthesizer
from synthad.synthesis.draem import DraemSynthesizer
from synthad.synthesis.ndpnet import NdpNetSynthesizer
from synthad.synthesis.realnet import RealNetSynthesizer
from synthad.synthesis.sample import ImageSource
from synthad.synthesis.slsg import SlsgSynthesizer

SYNTHESIZERS: dict[str, type] = {
    "draem": DraemSynthesizer,
    "dmp": DmpSynthesizer,
    "ndpnet": NdpNetSynthesizer,
    "imm_alm": DgmSynthesizer,
    "slsg": SlsgSynthesizer,
    "realnet": RealNetSynthesizer,
}


def get_synthesizer(key: str) -> type:
    """The synthesizer class of method ``key``; an unknown key lists the known ones."""
    if key not in SYNTHESIZERS:
        raise UnknownNameError("synthesizer", key, list(SYNTHESIZERS))
    return SYNTHESIZERS[key]


def build_synthesizer(key: str, sources: Mapping[str, ImageSource], **params: Any) -> Callable:
    """Instantiate method ``key``'s synthesizer with its paper defaults (overridden by ``params``).

    Args:
        key: Method key, e.g. ``"dmp"``.
        sources: Bank kind -> source; those the synthesizer accepts are passed (optional ones too,
            e.g. RealNet's DTD branch, which is off by default).
        **params: Keyword hyper-parameters of the synthesizer.

    Raises:
        UnknownNameError: Unknown key.
        DataError: A source the synthesizer needs is missing.
    """
    cls = get_synthesizer(key)
    missing = sorted(cls.needs - set(sources))
    if missing:
        raise DataError(f"the {key} synthesizer needs the {', '.join(missing)} bank(s); have: "
                        f"{', '.join(sorted(sources)) or 'none'}")
    accepted = inspect.signature(cls).parameters
    return cls(**{kind: source for kind, source in sources.items() if kind in accepted}, **params)
