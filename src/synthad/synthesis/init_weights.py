"""Starting SDAS's networks from a user's weights file.

RealNet fine-tunes OpenAI's ImageNet ``256x256_diffusion.pt`` and ``256x256_classifier.pt``; neither
can be downloaded offline, and their key names are guided-diffusion's, not diffusers'. A user who has
weights of *our* architecture (e.g. a model trained on another data set, or a converted ImageNet
checkpoint) can start from them instead: ``SdasConfig.init_checkpoint`` and
``classifier_init_checkpoint``.
"""

from __future__ import annotations

from pathlib import Path

import torch

from synthad.errors import DataError


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of an init checkpoint, by name.

    ``path`` is a ``.safetensors`` file, a ``torch.save``d state dict (or ``{"state_dict": ...}``) or a
    folder holding exactly one ``.safetensors`` file (``save_pretrained``'s layout).

    Raises:
        DataError: Missing, unreadable or not a mapping of tensors; the message names the file.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.safetensors"))
        if len(files) != 1:
            raise DataError(f"{path}: an init checkpoint folder must hold exactly one .safetensors file, "
                            f"found {len(files)}")
        path = files[0]
    if not path.is_file():
        raise DataError(f"{path}: init checkpoint not found")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # safetensors / pickle errors vary: name the file
        raise DataError(f"{path}: cannot read the init checkpoint ({exc})") from exc
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise DataError(f"{path}: the init checkpoint is not a state dict (a mapping of names to tensors)")
    return state


def load_init_weights(module: torch.nn.Module, path: str | Path, may_differ: tuple[str, ...] = (),
                      what: str = "network") -> list[str]:
    """Copy the weights of ``path`` into ``module``; every tensor must fit, except ``may_differ``.

    Tensors whose names start with a ``may_differ`` prefix (the class embedding or head, whose size
    is the number of classes) are copied when their shape fits and otherwise kept at their
    initialisation, as the official loader does with ImageNet's 1000 classes.

    Returns:
        The names kept at their initialisation.

    Raises:
        DataError: The file cannot be read, or a tensor is missing, unexpected or of another shape
            (outside ``may_differ``); the message names the file and the first such tensors.
    """
    state, own = read_state_dict(path), module.state_dict()
    checked = [k for k in own if not k.startswith(may_differ)]
    problems = ([f"missing {k}" for k in checked if k not in state]
                + [f"unexpected {k}" for k in state if k not in own and not k.startswith(may_differ)]
                + [f"{k}: {tuple(state[k].shape)} instead of {tuple(own[k].shape)}" for k in checked
                   if k in state and state[k].shape != own[k].shape])
    if problems:
        raise DataError(f"{path}: the init checkpoint does not fit the SDAS {what} of this configuration "
                        f"({len(problems)} problems: {'; '.join(problems[:3])})")
    fitting = {k: v for k, v in state.items() if k in own and v.shape == own[k].shape}
    module.load_state_dict(fitting, strict=False)
    return [k for k in own if k not in fitting]
