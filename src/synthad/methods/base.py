"""The contract every anomaly-detection method implements (docs/method-contract.md).

A method is a sub-package ``methods/<key>/`` whose ``config.py`` defines its ``Config`` and whose
``method.py`` defines a :class:`Method` subclass decorated with
:func:`synthad.methods.registry.register`; the package's ``__init__`` exports both. The pipeline
only talks to methods through this interface:

* ``Config``: a keyword-only dataclass whose defaults are the paper's values, derived from a base
  of :mod:`synthad.methods.config_base` (``image_size``, ``eval_batch_size``, the score-kernel
  fields: declared once there); ``params.yaml``'s ``method_params.<key>`` section is validated
  against it.
* ``needs``: which offline inputs ``fit`` reads besides the training images:
  ``"foreground_masks"``, anomaly banks by kind (``"textures"``, ``"natural"``, ``"sdas"``) and
  ``"dataset_images"`` (the training images of the data set's *other* categories, DMP's sources).
  When it depends on the configuration (DRAEM's ``anomaly_source``), ``needs_for(config)`` says so.
  ``"pretrained"`` is an *optional* input: the weights file of the method's own pre-training phase.
* ``has_pretraining`` / ``pretrain(train, context)``: a method with a separate self-supervised
  pre-training phase (SLSG's GPT-Net) runs it in ``pretrain``, which returns weights (tensors);
  ``synthad pretrain`` saves them and ``synthad train --pretrained <file>`` hands the file to ``fit``
  as ``context.pretrained``, so one pre-training serves several runs. Without the file, ``fit``
  runs the phase inline or uses its configured initialisation (the method's README says which).
* ``fit(train, context)``: trains on defect-free images only; resumes from
  ``context.checkpoint_path`` when it exists.
* ``predict(images)``: image scores ``(B,)`` and anomaly maps ``(B, H, W)`` for images in
  ``[0, 1]`` of shape ``(B, 3, H, W)``; maps are returned at the input's ``H, W``.
* ``state_dict()`` / ``load_state_dict()``: weights only, loadable with ``weights_only=True``.
  The default saves ``self.model``'s state minus the parameters of the submodules named in
  ``frozen`` (a pre-trained backbone rebuilt from its package or seed; its BatchNorm statistics are
  kept), and loads it strictly, then moves the model to ``device`` in eval mode. A method whose
  trained state is not one module (``mean_image``'s mean image, ``patchcore``'s memory bank)
  overrides both.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch.utils.data import Dataset

from synthad.banks import Bank, open_bank
from synthad.data.loader import load_pool_arrays
from synthad.errors import DataError
from synthad.methods.checkpoint import WithoutFrozen
from synthad.methods.config_base import MethodConfig
from synthad.methods.record import RunRecord
from synthad.synthesis.sample import TrainingPool


@dataclass
class Prediction:
    """What ``predict`` returns.

    Attributes:
        scores: Image-level anomaly scores, shape ``(B,)``; higher = more anomalous.
        maps: Pixel-level anomaly maps, shape ``(B, H, W)``, same ``H, W`` as the input.
    """

    scores: torch.Tensor
    maps: torch.Tensor


@dataclass
class FitContext:
    """Everything ``fit`` may use besides the training images.

    Attributes:
        seed: Seed of this run; every random draw of the method derives from it.
        device: Torch device to train on.
        checkpoint_path: Where to save the resumable training state; resumed from when present.
            Run artifacts written beside it as ``<checkpoint_path>.<name>.json`` end up in the run
            folder as ``<name>.json`` (``synthad train``).
        checkpoint_every: Save the training state every this many epochs.
        checkpoint_seconds: ... but not sooner than this many seconds after the previous save (the
            last epoch is always saved).
        banks: Bank kind (``"textures"``, ``"natural"``, ``"sdas"``) -> bank folder, for the kinds
            the method needs; open them with :meth:`bank`.
        dataset_sources: ``(index_csv, foreground mask folder or None)`` of the data set's other
            categories, for methods that need ``"dataset_images"``; read them with :meth:`source_pool`.
            Empty for a one-category data set.
        log: Called once per epoch with a flat dict of numbers (epoch, losses, lr, seconds); the
            training stage writes these rows to ``train_log.csv``. On a resume the epoch loop
            first replays the rows of the earlier pieces, so ``log`` sees every epoch once.
        progress: Show a progress bar.
        pretrained: Weights file written by ``synthad pretrain`` (methods with ``has_pretraining``);
            ``None`` when not given.
        record: The rows, training seconds and resumes of the run so far, kept in the checkpoints
            by the epoch loop; the training stage reads its totals (``record.seconds()``).
    """

    seed: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    checkpoint_path: Path | None = None
    checkpoint_every: int = 1
    checkpoint_seconds: float = 0.0
    banks: dict[str, Path] = field(default_factory=dict)
    dataset_sources: list[tuple[Path, Path | None]] = field(default_factory=list)
    log: Callable[[dict[str, float]], None] = lambda row: None
    progress: bool = True
    pretrained: Path | None = None
    record: RunRecord = field(default_factory=RunRecord)

    def seed_generators(self) -> np.random.Generator:
        """Seed torch's global generator with ``seed`` and return a NumPy generator seeded alike.

        Every ``fit`` calls this once: torch's draws (weight init, dropout) and the data pipeline's
        (the NumPy generator, saved in checkpoints) then both follow from the run's seed.
        """
        torch.manual_seed(self.seed)
        return np.random.default_rng(self.seed)

    def bank(self, kind: str, size: int) -> Bank:
        """Open the bank of ``kind`` at training resolution ``size`` (checksums verified).

        Raises:
            DataError: No bank of that kind was given, or it is missing or corrupt.
        """
        if kind not in self.banks:
            have = sorted(self.banks) or "none"
            raise DataError(f"no {kind!r} anomaly bank given to training (have: {have});"
                            f" pass --bank {kind}=<folder> to `synthad train`")
        return open_bank(self.banks[kind], size, kind)

    def source_pool(self, size: int, limit: int | None = None) -> TrainingPool | None:
        """Training images of the other categories at ``size`` (``None`` when there are none).

        Args:
            size: Side of the square images.
            limit: At most this many images per category (``None``: all).
        """
        if not self.dataset_sources:
            return None
        return TrainingPool(*load_pool_arrays(self.dataset_sources, size, limit))


class Method(abc.ABC):
    """Base class of all methods; see the module docstring for the contract.

    Args:
        config: An instance of the subclass's ``Config``.
        device: Device that ``predict`` runs on (``fit`` uses ``context.device``).

    Attributes:
        model: The trained network, set by the subclass's ``__init__`` (and ``fit``); what the
            default :meth:`state_dict` saves. Methods without one override the weight methods.
    """

    key: ClassVar[str]
    Config: ClassVar[type[MethodConfig]]
    needs: ClassVar[frozenset[str]] = frozenset()
    # Attribute paths inside ``model`` of frozen pre-trained submodules (``("extractor",)``):
    # their parameters are rebuilt, not saved (:meth:`weights`).
    frozen: ClassVar[tuple[str, ...]] = ()
    model: torch.nn.Module
    has_pretraining: ClassVar[bool] = False
    # Config fields the pre-training phase reads: the pipeline passes only these to
    # ``synthad pretrain``, so changing a main-training field does not re-run the pre-training.
    pretrain_fields: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def needs_for(cls, config: Any) -> frozenset[str]:
        """The offline inputs ``fit`` reads with this configuration (default: ``needs``)."""
        return cls.needs

    def __init__(self, config: Any, device: torch.device | str = "cpu"):
        self.config = config
        self.device = torch.device(device)

    @abc.abstractmethod
    def fit(self, train: Dataset, context: FitContext) -> None:
        """Train on defect-free images.

        Args:
            train: Items are dicts with ``image`` ``(3, H, W)`` float in ``[0, 1]`` and, when the
                method needs them, ``foreground`` ``(1, H, W)`` float in ``{0, 1}``.
            context: Seed, device, checkpointing, anomaly banks and logging.
        """

    def pretrain(self, train: Dataset, context: FitContext) -> dict[str, torch.Tensor]:
        """Run the method's separate pre-training phase (only when ``has_pretraining``).

        Args:
            train: As for :meth:`fit`.
            context: As for :meth:`fit`; ``checkpoint_path`` holds this phase's resumable state.

        Returns:
            Weights (name -> tensor) that :meth:`fit` reads back from ``context.pretrained``.
        """
        raise NotImplementedError(f"method {self.key!r} has no pre-training phase")

    @abc.abstractmethod
    def predict(self, images: torch.Tensor) -> Prediction:
        """Score a batch of images ``(B, 3, H, W)`` in ``[0, 1]``; see :class:`Prediction`."""

    def weights(self) -> WithoutFrozen:
        """``model``'s state without the ``frozen`` parameters: ``model.pt`` and the training checkpoints."""
        return WithoutFrozen(self.model, self.frozen, self.key)

    def state_dict(self) -> dict[str, Any]:
        """Weights (tensors and plain numbers only) of the trained method, on the CPU."""
        return {k: v.detach().cpu() for k, v in self.weights().state_dict().items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned; the model then runs on ``device`` in eval mode.

        Raises:
            RuntimeError: ``state`` does not fit the model (trained with another configuration).
        """
        self.weights().load_state_dict(state)
        self.model.to(self.device).eval()
