"""Options and set-up that the SDAS stages (``sdas-train``, ``sdas-sample``, ``sdas-sheet``) share."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

import torch

from synthad.synthesis.sdas_config import load_sdas_config
from synthad.utils.runtime import select_device

if TYPE_CHECKING:  # the module imports diffusers; the stages import it only when they run
    from synthad.synthesis.sdas import SdasConfig


def add_sdas_arguments(parser: argparse.ArgumentParser, seed: int = 0) -> None:
    """Declare ``--params-json`` (the ``synthesis.sdas`` section), ``--seed``, ``--device``, ``--threads``."""
    parser.add_argument("--params-json", default="{}", help="the synthesis.sdas section (JSON)")
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")


def start_sdas(args: argparse.Namespace) -> tuple[SdasConfig, torch.device]:
    """The typed ``synthesis.sdas`` config, after setting torch's thread count; and the device."""
    cfg = load_sdas_config(args.params_json)
    torch.set_num_threads(args.threads)
    return cfg, select_device(args.device)
