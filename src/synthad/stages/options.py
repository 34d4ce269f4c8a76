"""Argument types and help texts that several stages share.

``output_path`` is the ``type=`` of every option that names something a stage writes (``--out``,
``--sheet``, ``--checkpoint``, ...): a folder that cannot be written is reported when the command
line is parsed, not after an hour of training. ``with_method_keys`` and ``with_dataset_keys`` list the
registered names in ``--help``; they read the registries only when called, i.e. when the parser of
the stage that needs them is built, so ``synthad --help`` imports neither.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synthad.utils.ranges import range_of


def ranged_int(annotation: Any) -> Callable[[str], int]:
    """``argparse`` type of an integer option within the declared ``Range`` of ``annotation``.

    ``annotation`` is an ``Annotated[int, Range(...)]`` (``Seed``, ``PositiveInt``): the option accepts
    what the matching ``params.yaml`` key accepts, and argparse reports anything else in one line.
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        message = range_of(annotation).error(value)
        if message is not None:
            raise argparse.ArgumentTypeError(message)
        return value

    return parse


def output_path(value: str) -> Path:
    """``argparse`` type of an output file or folder whose nearest existing ancestor is writable.

    The path itself may not exist yet (stages create it, parents included). What must hold is
    that the folder the stage will write into, the nearest existing one on the way up, is a
    folder this user may create entries in (write and search permission). An existing file is
    replaced atomically through a temporary file beside it, so its folder is the one checked.

    Raises:
        argparse.ArgumentTypeError: That folder is a file, or not writable (argparse turns it into
            a one-line usage error naming the option).
    """
    path = Path(value)
    folder = _nearest_existing(path)
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"{value}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{value}: folder {folder} is not writable")
    return path


def _nearest_existing(path: Path) -> Path:
    """``path`` if it is an existing folder, else its nearest existing ancestor folder (or file)."""
    if path.is_dir():
        return path
    candidate = path.absolute().parent
    while not candidate.exists() and candidate != candidate.parent:
        candidate = candidate.parent
    return candidate


def with_method_keys(text: str) -> str:
    """``text`` followed by the registered method keys (imports :mod:`synthad.methods`)."""
    from synthad.methods import list_methods  # deferred: only the stages that take --method pay for it

    return f"{text}; one of: {', '.join(list_methods())}"


def with_dataset_keys(text: str, derived: bool = False) -> str:
    """``text`` followed by the registered data-set keys (and ``rto:<base>`` when ``derived``)."""
    from synthad.data.registry import RTO_PREFIX, list_datasets  # deferred, as above

    keys = ", ".join(list_datasets())
    return f"{text}; one of: {keys}" + (f", or {RTO_PREFIX}<base> (made by `synthad rto`)" if derived else "")
