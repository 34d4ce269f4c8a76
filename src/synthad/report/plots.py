"""Figures that compare the methods: ROC curves, box plots, map grids and training curves.

For every data set / category with runs (the lowest seed of each method, as in :mod:`.figures`):

* ``roc/<dataset>/<category>.png``: image-level ROC (from ``scores.csv``) and pixel-level ROC
  (``maps.npz`` against the ground truth at the evaluation resolution, on one fixed random subset
  of ``ReportConfig.roc_max_pixels`` pixels, the same for every method) of all methods; the
  legend gives the exact AUROC of ``metrics.json``; the pixel panel says ``n/a`` for a data set
  without pixel masks (``pixel_masks: false``);
* ``grid/<dataset>/<category>.png``: input | ground truth | each method's anomaly map for the
  test images of :func:`.figures.pick_images`, each method's maps on its own scale (min..max over
  all its test maps; no ground-truth column without pixel masks);
* ``training/<dataset>/<category>.png``: every loss column of each method's ``train_log.csv``
  against the epoch (methods that log no loss are left out; no file when none logs one);

and per data set with two or more categories ``box/<dataset>.png``: one box per method over the
categories (mean over seeds) for each headline metric, as DMP's Fig. 7.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no display on CI machines or compute nodes
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import roc_curve  # noqa: E402

from synthad.config import ReportConfig  # noqa: E402
from synthad.data.index import has_pixel_masks, read_index  # noqa: E402
from synthad.errors import DataError  # noqa: E402
from synthad.report.figures import find_runs, ground_truth, pick_images  # noqa: E402
from synthad.report.table_format import HEADLINE_METRICS, NOT_MEASURED, PRETTY  # noqa: E402
from synthad.utils.io import atomic_dir, read_json_object  # noqa: E402

NOT_LOSSES = {"epoch", "step", "n_images", "lr", "seconds", "phase"}


def load_run(run_dir: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """``scores.csv`` and ``maps.npz`` ``(N, R, R)`` of a run, checked to list the same images."""
    scores = pd.read_csv(
        run_dir / "scores.csv", dtype={"path": str, "defect_type": str}, keep_default_na=False
    )
    with np.load(run_dir / "maps.npz") as npz:
        maps, paths = npz["maps"].astype(np.float32), [str(p) for p in npz["paths"]]
    if paths != list(scores["path"]):
        raise DataError(f"{run_dir}: maps.npz and scores.csv list different images")
    return scores, maps


def _finish(fig, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)


def roc_figure(runs: dict[str, Path], index: pd.DataFrame, max_pixels: int, out: Path, title: str) -> None:
    """Image and pixel ROC curves of every method of one category (``runs``: method -> run folder)."""
    fig, (ax_img, ax_pix) = plt.subplots(1, 2, figsize=(9, 4.2))
    truth, picked, pixel = None, None, has_pixel_masks(index)
    if not pixel:
        ax_pix.text(0.5, 0.5, f"{NOT_MEASURED}: no pixel masks", ha="center", va="center",
                    transform=ax_pix.transAxes)
    for method, run_dir in runs.items():
        scores, maps = load_run(run_dir)
        metrics = read_json_object(run_dir / "metrics.json")
        fpr, tpr, _ = roc_curve(scores["label"], scores["score"])
        ax_img.plot(fpr, tpr, label=f"{method} ({metrics.get('image_auroc') or float('nan'):.3f})")
        if not pixel:
            continue
        if truth is None:  # one ground truth and pixel subset for every method of the category
            truth = np.stack([ground_truth(index, p, maps.shape[-1])[1] for p in scores["path"]]).ravel()
            rng = np.random.default_rng(0)
            picked = rng.choice(truth.size, min(max_pixels, truth.size), replace=False)
        if truth[picked].any() and not truth[picked].all():
            fpr, tpr, _ = roc_curve(truth[picked], maps.ravel()[picked])
            ax_pix.plot(fpr, tpr, label=f"{method} ({metrics.get('pixel_auroc') or float('nan'):.3f})")
    for ax, name in ((ax_img, "image"), (ax_pix, "pixel")):
        ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=0.8)
        ax.set(xlabel="false positive rate", ylabel="true positive rate", title=f"{name}-level ROC (AUROC)")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(title, fontsize=10)
    _finish(fig, out)


def grid_figure(runs: dict[str, Path], index: pd.DataFrame, n_images: int, out: Path, title: str) -> None:
    """Input | ground truth (when the data set has pixel masks) | each method's map, one row per image."""
    loaded = {m: load_run(d) for m, d in runs.items()}
    scores = next(iter(loaded.values()))[0]
    picked = pick_images(scores, n_images)
    size = next(iter(loaded.values()))[1].shape[-1]
    pairs = [ground_truth(index, scores["path"].iloc[i], size) for i in picked]
    fixed = ["input", "ground truth"] if has_pixel_masks(index) else ["input"]
    cols = len(fixed) + len(loaded)
    fig, axes = plt.subplots(len(picked), cols, figsize=(2.1 * cols, 2.2 * len(picked)), squeeze=False)
    for row, (i, (image, mask)) in enumerate(zip(picked, pairs, strict=True)):
        axes[row, 0].imshow(image)
        axes[row, 0].set_ylabel(scores["defect_type"].iloc[i], fontsize=8)
        if len(fixed) == 2:
            axes[row, 1].imshow(mask, cmap="gray", vmin=0, vmax=1)
        for col, (run_scores, maps) in enumerate(loaded.values(), start=len(fixed)):
            j = list(run_scores["path"]).index(scores["path"].iloc[i])
            axes[row, col].imshow(maps[j], cmap="jet", vmin=float(maps.min()), vmax=float(maps.max()))
    for col, name in enumerate([*fixed, *loaded]):
        axes[0, col].set_title(name, fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=10)
    _finish(fig, out)


def training_figure(logs: dict[str, Path], out: Path, title: str) -> bool:
    """Loss curves of each method (``logs``: method -> train_log.csv); False when none logs a loss."""
    curves = {}
    for method, path in logs.items():
        log = pd.read_csv(path)
        losses = [c for c in log.columns if c not in NOT_LOSSES and pd.api.types.is_numeric_dtype(log[c])]
        if losses and len(log):
            curves[method] = (log["epoch"] if "epoch" in log else pd.Series(range(len(log))), log[losses])
    if not curves:
        return False
    fig, axes = plt.subplots(1, len(curves), figsize=(3.6 * len(curves), 3.2), squeeze=False)
    for ax, (method, (epoch, losses)) in zip(axes[0], curves.items(), strict=True):
        marker = "o" if len(epoch) < 20 else None  # a short log (CI, a resumed run) is still visible
        for name in losses.columns:
            ax.plot(epoch, losses[name], label=name, linewidth=1, marker=marker, markersize=3)
        if (losses > 0).all().all():
            ax.set_yscale("log")
        ax.set(title=method, xlabel="epoch")
        ax.legend(fontsize=6)
    fig.suptitle(title, fontsize=10)
    _finish(fig, out)
    return True


def box_figure(metrics: pd.DataFrame, dataset: str, out: Path, scale: float) -> bool:
    """Per headline metric, one box per method over the categories' seed means.

    No figure (``False``) when no box would hold two points: with one category a box is a dash,
    and the unified table already prints its number.
    """
    sub = metrics[(metrics["dataset"] == dataset) & metrics["metric"].isin(HEADLINE_METRICS)]
    names = [m for m in HEADLINE_METRICS if m in set(sub["metric"])]
    if not names or sub.groupby(["metric", "method"])["category"].nunique().max() < 2:
        return False
    means = sub.groupby(["metric", "method", "category"])["value"].mean() * scale
    methods = sorted(sub["method"].unique())
    fig, axes = plt.subplots(
        1, len(names), figsize=(1.2 + 1.1 * len(methods) * len(names), 3.6), squeeze=False
    )
    for ax, name in zip(axes[0], names, strict=True):
        data = [
            means.loc[name].loc[m].dropna().to_numpy() if m in means.loc[name].index else np.array([])
            for m in methods
        ]
        ax.boxplot(data, tick_labels=methods)
        for k, values in enumerate(data, start=1):
            ax.scatter(
                np.full(len(values), k) + np.linspace(-0.12, 0.12, len(values)), values, s=10, zorder=3
            )
        ax.set_title(PRETTY.get(name, name), fontsize=9)
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    fig.suptitle(f"{dataset}: spread over categories (x{scale:g})", fontsize=10)
    _finish(fig, out)
    return True


def write_plots(
    runs_dir: str | Path,
    models_dir: str | Path,
    index_dir: str | Path,
    metrics: pd.DataFrame,
    config: ReportConfig,
    out: str | Path,
) -> list[Path]:
    """Every comparison figure (module docstring) into ``out``, replaced atomically.

    Raises:
        DataError: No run with ``maps.npz``, or a run/index file is missing.
    """
    runs = find_runs(runs_dir)
    if not runs:
        raise DataError(f"{runs_dir}: no run with maps.npz found")
    by_category: dict[tuple[str, str], dict[str, Path]] = {}
    for (dataset, category, method), run_dir in runs.items():
        by_category.setdefault((dataset, category), {})[method] = run_dir
    out, written = Path(out), []
    with atomic_dir(out) as tmp:
        for (dataset, category), methods in by_category.items():
            index = read_index(Path(index_dir) / dataset / f"{category}.csv", check_files=False)
            name = f"{dataset} / {category}"
            roc_figure(methods, index, config.roc_max_pixels, tmp / "roc" / dataset / f"{category}.png", name)
            grid_figure(
                methods, index, config.figure_images, tmp / "grid" / dataset / f"{category}.png", name
            )
            logs = {
                m: Path(models_dir) / dataset / category / m / d.name / "train_log.csv"
                for m, d in methods.items()
            }
            training_figure(
                {m: p for m, p in logs.items() if p.is_file()},
                tmp / "training" / dataset / f"{category}.png",
                f"{name}: training losses",
            )
        for dataset in sorted({d for d, _ in by_category}):
            box_figure(metrics, dataset, tmp / "box" / f"{dataset}.png", config.scale)
        written = sorted(tmp.rglob("*.png"))
    return [out / p.relative_to(tmp) for p in written]
