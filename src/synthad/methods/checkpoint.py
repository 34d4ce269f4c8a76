"""Method checkpoints without the frozen backbone's weights.

The resumable training state itself (:func:`~synthad.utils.checkpoint.save_training_state`) is
shared with the SDAS diffusion training, so it lives in :mod:`synthad.utils.checkpoint`.
"""

from __future__ import annotations

import torch


class WithoutFrozen:
    """A module's weights minus the parameters of its frozen backbones, for saving.

    Backbone weights come from the torchvision cache or a fixed seed, so storing them (69M
    parameters for WRN50) would only bloat every checkpoint and ``model.pt``. The backbones'
    buffers (BatchNorm statistics) are kept: calibrating a random backbone changes them. With no
    frozen submodule it is the whole module's state, loaded with a one-line error on a mismatch.

    Args:
        model: The whole module.
        frozen: Attribute paths of the frozen submodules (``("extractor",)``; ``()``: none).
        name: Method name for error messages.
    """

    def __init__(self, model: torch.nn.Module, frozen: tuple[str, ...], name: str):
        self.model, self.name = model, name
        self._frozen = {f"{path}.{key}" for path in frozen
                        for key, _ in model.get_submodule(path).named_parameters()}

    def frozen(self, key: str) -> bool:
        """Whether ``state_dict`` key ``key`` is a frozen backbone's parameter (left out)."""
        return key in self._frozen

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The module's state without the frozen keys."""
        return {k: v for k, v in self.model.state_dict().items() if not self.frozen(k)}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Load :meth:`state_dict` output; every key but the frozen ones must be present and fit.

        Raises:
            RuntimeError: A tensor's shape or the set of keys does not match the module
                (trained with another configuration).
        """
        try:
            missing, unexpected = self.model.load_state_dict(state, strict=False)
        except RuntimeError as exc:  # shape mismatch: torch lists every tensor; keep the first line
            raise RuntimeError(f"{self.name} weights do not match the configuration:"
                               f" {str(exc).splitlines()[1].strip()}") from None
        missing = [k for k in missing if not self.frozen(k)]
        if missing or unexpected:
            raise RuntimeError(f"{self.name} weights do not match the configuration: missing {missing[:5]},"
                               f" unexpected {unexpected[:5]}")
