"""Exception types with messages meant for the person running the pipeline.

Every error names the file or the configuration key it is about, so that a failed stage says what
to fix without a traceback hunt.
"""


class SynthADError(Exception):
    """Base class of all errors raised deliberately by SynthAD."""


class ConfigError(SynthADError, ValueError):
    """A ``params.yaml`` key is unknown, missing or of the wrong type."""


class DataError(SynthADError, ValueError):
    """An input file is missing, unreadable or inconsistent (image, mask, index, archive)."""


class TrainingDiverged(SynthADError, ArithmeticError):
    """A training loss became NaN or infinite; the message names the method, epoch and step."""


class ExportError(SynthADError, RuntimeError):
    """A trained method could not be exported, or its exported graph disagrees with ``predict``."""


class UnknownNameError(SynthADError, KeyError):
    """A data set, category or method name that is not registered.

    Args:
        kind: What was looked up, e.g. ``"method"``.
        name: The name that was asked for.
        known: The names that exist.
    """

    def __init__(self, kind: str, name: str, known: list[str] | tuple[str, ...]):
        self.kind, self.name, self.known = kind, name, sorted(known)
        super().__init__(f"unknown {kind} {name!r}; known: {', '.join(self.known)}")

    def __str__(self) -> str:  # KeyError would otherwise quote the whole message
        return self.args[0]
