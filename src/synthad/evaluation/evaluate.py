"""Score the test split of one category with one trained model and compute every metric.

Reads a model folder written by ``synthad train`` (``model.pt``, ``config.json``,
``train_info.json``) and an index CSV; writes into the run folder (docs/evaluation.md#files-of-a-run):

* ``scores.csv``: ``path, label, defect_type, score`` per test image,
* ``maps.npz``: ``maps`` float16 ``(N, R, R)`` and ``paths`` ``(N,)``, R = evaluation resolution,
* ``metrics.json``: every metric (with image AUROC per anomaly kind and AU-sPRO where the index
  has them, :mod:`.loco`), counts and identifying fields: byte-identical for the same model and
  inputs, so its hash changes only when a result does. An image-level index (``pixel_masks:
  false``, no defect masks) has no pixel metric: the ``pixel_*`` keys are **omitted** (not
  measured; a ``null`` would mean an undefined value), and the tables print ``n/a``,
* ``metrics.json`` also holds ``decision_threshold``, ``decision_precision``, ``decision_recall``
  and the counts ``decision_tp/fp/fn/tn`` at the run's own threshold (``threshold.json`` of the
  model folder, :mod:`.threshold`); absent when the run has none,
* ``timing.json``: the cost figures, which differ from run to run: ``device``, ``train_seconds``,
  ``train_peak_memory_mb`` (from ``train_info.json``), ``inference_images_per_s`` and
  ``eval_peak_memory_mb``; ``synthad aggregate`` reads it beside ``metrics.json``.

Test images are loaded at the evaluation resolution ``R`` (bilinear; masks nearest) and given to
``predict`` as they are; by the method contract the maps come back at ``R``, so ground truth is
always compared at ``R`` (docs/evaluation.md) whatever resolution the method works at inside.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from synthad.config import EvaluateConfig
from synthad.data.index import has_pixel_masks, read_index
from synthad.data.loader import ImageDataset
from synthad.errors import DataError
from synthad.evaluation.aupro import aupro
from synthad.evaluation.loco import kind_image_aurocs, spro_metrics
from synthad.evaluation.metrics import image_metrics, pixel_metrics
from synthad.evaluation.threshold import run_decision_metrics
from synthad.methods import Method, get_method, method_config
from synthad.utils.io import atomic_path, read_json_object, write_json
from synthad.utils.runtime import peak_memory_mb

IDENTITY_KEYS = ("dataset", "category", "method", "seed")


@dataclass
class TestOutputs:
    """Predictions of one test split, in index order.

    Attributes:
        scores: ``(N,)`` float64 image scores.
        maps: ``(N, R, R)`` float32 anomaly maps at the evaluation resolution.
        masks: ``(N, R, R)`` bool ground truth.
        labels: ``(N,)`` int 0/1.
        paths: ``N`` image paths.
        predict_seconds: Time spent inside ``predict`` only (no loading, no metrics).
    """

    scores: np.ndarray
    maps: np.ndarray
    masks: np.ndarray
    labels: np.ndarray
    paths: list[str]
    predict_seconds: float


def _read_json(path: Path) -> dict:
    if not path.is_file():
        raise DataError(f"{path}: missing (is {path.parent} a finished `synthad train` output?)")
    return read_json_object(path)


def load_model(model_dir: str | Path, device: torch.device) -> tuple[Method, dict, dict]:
    """Rebuild the trained method of a model folder.

    Args:
        model_dir: Folder with ``model.pt``, ``config.json`` and (optionally) ``train_info.json``.
        device: Device to run inference on.

    Returns:
        ``(method, identity, train_info)``; ``identity`` is ``config.json`` (method key, typed
        config, dataset, category, seed), ``train_info`` is ``{}`` when the file is absent.

    Raises:
        DataError: ``model.pt`` or ``config.json`` is missing or unreadable (the file is named).
    """
    model_dir = Path(model_dir)
    identity = _read_json(model_dir / "config.json")
    missing = [k for k in ("method", "config") if k not in identity]
    if missing:
        raise DataError(f"{model_dir / 'config.json'}: lacks key(s) {', '.join(missing)}")
    weights = model_dir / "model.pt"
    if not weights.is_file():
        raise DataError(f"{weights}: missing (is {model_dir} a finished `synthad train` output?)")
    key = identity["method"]
    method = get_method(key)(method_config(key, identity["config"], f"{model_dir / 'config.json'}:config"),
                             device)
    try:
        state = torch.load(weights, map_location=device, weights_only=True)
    except Exception as exc:  # torch raises several types for truncated/foreign files
        raise DataError(f"{weights}: cannot load weights: {exc}") from exc
    try:
        method.load_state_dict(state)
    except RuntimeError as exc:  # weights of another configuration or code version
        raise DataError(f"{weights}: {exc}; retrain the run (its code or configuration changed)") from exc
    info_path = model_dir / "train_info.json"
    train_info = _read_json(info_path) if info_path.is_file() else {}
    return method, identity, train_info


def _sync(device: torch.device) -> None:
    if device.type == "cuda":  # kernels are asynchronous: time only finished work
        torch.cuda.synchronize(device)


def predict_split(method: Method, dataset: ImageDataset, batch_size: int,
                  progress: bool = True) -> TestOutputs:
    """Run ``method.predict`` over a dataset and collect maps at the dataset's resolution.

    Args:
        method: A trained method (its ``device`` is used).
        dataset: Test images at the evaluation resolution ``R``.
        batch_size: Images per ``predict`` call.
        progress: Show a tqdm bar.

    Returns:
        :class:`TestOutputs` in dataset order.

    Raises:
        DataError: The method returned maps of another size than its input (a contract breach:
            resizing to and from its own resolution is the method's job, see ``methods/base.py``).
    """
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=0)
    scores, maps, masks, labels, paths, seconds = [], [], [], [], [], 0.0
    for batch in tqdm(loader, desc="evaluate", unit="batch", disable=not progress):
        images = batch["image"].to(method.device)
        _sync(method.device)
        start = time.perf_counter()
        with torch.inference_mode():
            pred = method.predict(images)
        _sync(method.device)
        seconds += time.perf_counter() - start
        batch_maps = pred.maps.detach().float()
        if batch_maps.shape != (len(images), *images.shape[-2:]):
            raise DataError(f"method {type(method).__name__}: maps {tuple(batch_maps.shape)} do not "
                            f"match the input images {tuple(images.shape)}")
        scores.append(pred.scores.detach().double().cpu().numpy().reshape(-1))
        maps.append(batch_maps.cpu().numpy())
        masks.append(batch["mask"][:, 0].numpy() > 0.5)
        labels.append(batch["label"].numpy())
        paths += list(batch["path"])
    return TestOutputs(np.concatenate(scores), np.concatenate(maps), np.concatenate(masks),
                       np.concatenate(labels).astype(int), paths, seconds)


def compute_metrics(outputs: TestOutputs, fpr_limit: float, pixel_masks: bool = True) -> dict[str, float]:
    """Every image and pixel metric of one category (see :mod:`.metrics`, :mod:`.aupro`).

    Args:
        outputs: Predictions and ground truth of the test split.
        fpr_limit: AU-PRO integration limit.
        pixel_masks: The index has pixel ground truth; ``False`` (image-level data set): image
            metrics only.

    Returns:
        ``image_auroc, image_ap, image_f1_max``, and with ``pixel_masks`` ``pixel_auroc, pixel_ap,
        pixel_f1_max, pixel_aupro``.
    """
    metrics = image_metrics(outputs.labels, outputs.scores)
    if not pixel_masks:  # all-empty masks would make every map pixel a false alarm: not a metric
        return metrics
    metrics |= pixel_metrics(outputs.masks, outputs.maps)
    metrics["pixel_aupro"] = aupro(outputs.masks, outputs.maps, fpr_limit)
    return metrics


def _json_number(value):
    # JSON has no NaN; null keeps metrics.json strict and aggregate reads it back as NaN.
    return None if isinstance(value, float) and not np.isfinite(value) else value


def _check_identity(identity: dict, index_path: Path, model_dir: Path) -> None:
    """A model evaluated on another category's index is a wiring mistake, not a result."""
    expected = {"dataset": index_path.parent.name, "category": index_path.stem}
    for key, value in expected.items():
        if key in identity and str(identity[key]) != value:
            raise DataError(f"{model_dir / 'config.json'}: model was trained on {key} {identity[key]!r} "
                            f"but the index {index_path} is {key} {value!r}")


def write_outputs(out: str | Path, test_rows: pd.DataFrame, outputs: TestOutputs, metrics: dict,
                  timing: dict) -> None:
    """Write ``scores.csv``, ``maps.npz``, ``timing.json`` and ``metrics.json`` (last), each atomically.

    Args:
        out: Run folder.
        test_rows: Index rows of the test split, in ``outputs`` order.
        outputs: Predictions (maps are stored as float16 ``(N, R, R)``).
        metrics: Everything for ``metrics.json`` (NaN is written as null).
        timing: The cost figures for ``timing.json`` (see the module docstring).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scores = pd.DataFrame({"path": outputs.paths, "label": outputs.labels,
                           "defect_type": test_rows["defect_type"].to_numpy(), "score": outputs.scores})
    with atomic_path(out / "scores.csv") as tmp:
        scores.to_csv(tmp, index=False)
    with atomic_path(out / "maps.npz") as tmp:
        np.savez_compressed(tmp, maps=outputs.maps.astype(np.float16), paths=np.array(outputs.paths))
    write_json(out / "timing.json", {k: _json_number(v) for k, v in timing.items()})
    write_json(out / "metrics.json", {k: _json_number(v) for k, v in metrics.items()})


def evaluate_run(index_path: str | Path, model_dir: str | Path, config: EvaluateConfig, out: str | Path,
                 device: torch.device, progress: bool = True) -> dict:
    """Evaluate one trained model on the test split of its category and write the run folder.

    Args:
        index_path: ``data/index/<dataset>/<category>.csv``.
        model_dir: Output folder of ``synthad train``.
        config: Evaluation protocol (resolution, AU-PRO limit, batch size).
        out: Run folder to write (see the module docstring).
        device: Inference device.
        progress: Show a progress bar.

    Returns:
        The content of ``metrics.json`` and of ``timing.json``, in one dict.

    Raises:
        DataError: Bad model folder, index or test image (the file is named).
    """
    index_path, model_dir = Path(index_path), Path(model_dir)
    index = read_index(index_path)
    test_rows = index[index["split"] == "test"].reset_index(drop=True)
    method, identity, train_info = load_model(model_dir, device)
    _check_identity(identity, index_path, model_dir)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    outputs = predict_split(method, ImageDataset(test_rows, config.resolution), config.batch_size, progress)
    metrics = {
        "dataset": identity.get("dataset", index_path.parent.name),
        "category": identity.get("category", index_path.stem),
        "method": identity["method"],
        "seed": identity.get("seed"),
        "n_test_images": len(outputs.labels),
        "n_test_defective": int(outputs.labels.sum()),
        "resolution": config.resolution,
        "pro_fpr_limit": config.pro_fpr_limit,
        **compute_metrics(outputs, config.pro_fpr_limit, has_pixel_masks(index)),
        **kind_image_aurocs(test_rows, outputs.labels, outputs.scores),
        **spro_metrics(test_rows, outputs.labels, outputs.maps, config.spro_fpr_limit),
        **run_decision_metrics(model_dir, config.resolution, outputs.labels, outputs.scores),
    }
    timing = {
        "device": str(device),
        "train_seconds": train_info.get("train_seconds"),
        "train_peak_memory_mb": train_info.get("peak_memory_mb"),
        "inference_images_per_s": len(outputs.labels) / max(outputs.predict_seconds, 1e-9),
        "eval_peak_memory_mb": peak_memory_mb(device),
    }
    write_outputs(out, test_rows, outputs, metrics, timing)
    return metrics | timing
