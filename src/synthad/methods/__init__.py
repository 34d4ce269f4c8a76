"""Anomaly-detection methods: the contract (:mod:`.base`), the registry and one package per method.

Importing this package registers every method, so ``get_method("draem")`` works after
``import synthad.methods``.
"""

from synthad.methods.base import FitContext, Method, Prediction
from synthad.methods.registry import get_method, list_methods, method_config, register

__all__ = ["FitContext", "Method", "Prediction", "get_method", "list_methods", "method_config", "register"]

# Registration happens on import; keep this list in step with the method sub-packages.
import synthad.methods.dmp  # noqa: E402,F401  (registers "dmp")
import synthad.methods.draem  # noqa: E402,F401  (registers "draem")
import synthad.methods.imm_alm  # noqa: E402,F401  (registers "imm_alm")
import synthad.methods.mean_image  # noqa: E402,F401  (registers "mean_image")
import synthad.methods.ndpnet  # noqa: E402,F401  (registers "ndpnet")
import synthad.methods.patchcore  # noqa: E402,F401  (registers "patchcore")
import synthad.methods.realnet  # noqa: E402,F401  (registers "realnet")
import synthad.methods.slsg  # noqa: E402,F401  (registers "slsg")
