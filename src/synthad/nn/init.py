"""DRAEM's weight initialisation (``weights_init`` of the official ``train_DRAEM.py``).

See docs/official-code.md#draem-networks.
"""

from __future__ import annotations

from torch import nn


def init_weights(module: nn.Module) -> None:
    """Conv weights ``N(0, 0.02)``, BatchNorm weights ``N(1, 0.02)`` and biases 0.

    Conv biases keep PyTorch's default initialisation, as in the official code. Use as
    ``model.apply(init_weights)``; draws come from torch's global generator (seed it first).
    """
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
