"""Anomaly maps next to ground truth: one PNG per data set / category / method.

For each ``results/runs/<dataset>/<category>/<method>/`` the lowest seed is shown. A figure has
``ReportConfig.figure_images`` rows (defective test images first, one per defect type in turn,
plus one defect-free image) and four columns: image | ground truth | anomaly map | overlay (three,
without ground truth, for a data set without pixel masks, ``pixel_masks: false``).
All maps of a figure share one colour scale, the min..max over **every** test map of that run,
so a defect-free image looks as quiet (or as noisy) as the method really makes it.

Output: ``<out>/<dataset>/<category>/<method>.png`` (the folder is replaced atomically).
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no display on CI machines or compute nodes
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from synthad.config import ReportConfig  # noqa: E402
from synthad.data.index import has_pixel_masks, read_index, resize_mode  # noqa: E402
from synthad.data.loader import read_masks  # noqa: E402
from synthad.errors import DataError  # noqa: E402
from synthad.utils.geometry import resize_image, resize_mask  # noqa: E402
from synthad.utils.images import read_image  # noqa: E402
from synthad.utils.io import atomic_dir  # noqa: E402

_SEED_DIR = re.compile(r"^seed(\d+)$")


def find_runs(runs_dir: str | Path) -> dict[tuple[str, str, str], Path]:
    """The lowest-seed run folder of every ``(dataset, category, method)`` that has ``maps.npz``.

    Raises:
        DataError: ``runs_dir`` does not exist.
    """
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        raise DataError(f"{runs_dir}: runs folder does not exist (run `synthad evaluate` first)")
    runs: dict[tuple[str, str, str], tuple[int, Path]] = {}
    for maps in runs_dir.glob("*/*/*/seed*/maps.npz"):
        match = _SEED_DIR.match(maps.parent.name)
        if not match:
            continue
        key, seed = tuple(maps.parts[-5:-2]), int(match.group(1))
        if key not in runs or seed < runs[key][0]:
            runs[key] = (seed, maps.parent)
    return {key: value[1] for key, value in sorted(runs.items())}


def pick_images(scores: pd.DataFrame, n: int) -> list[int]:
    """Row positions of up to ``n`` test images: defective ones by defect type in turn, then one good.

    Args:
        scores: ``scores.csv`` of a run (``path, label, defect_type, score``).
        n: How many images to show.

    Returns:
        Positions into ``scores`` (deterministic: paths sorted within each defect type).
    """
    defective = scores[scores["label"] == 1].sort_values("path")
    good = list(scores[scores["label"] == 0].sort_values("path").index)
    queues = [list(g.index) for _, g in defective.groupby("defect_type", sort=True)]
    n_defect = max(n - 1, 0) if good else n
    picked = []
    while len(picked) < n_defect and any(queues):
        picked += [q.pop(0) for q in queues if q][: n_defect - len(picked)]
    picked += good[: n - len(picked)]
    return [scores.index.get_loc(i) for i in picked]


def ground_truth(index: pd.DataFrame, path: str, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """Image ``(R, R, 3)`` uint8 and mask ``(R, R)`` bool of one test image, as evaluation saw them."""
    rows = index[index["path"] == path]
    if rows.empty:
        raise DataError(f"image {path} of the run is not in its index")
    image = read_image(path)
    mask = read_masks(rows["mask_path"].iloc[0], path, image.shape[:2])
    mode = resize_mode(index)  # the geometry evaluation used (ImageDataset)
    return resize_image(image, resolution, mode), resize_mask(mask, resolution, mode)


def plot_grid(images: list[np.ndarray], masks: list[np.ndarray] | None, maps: list[np.ndarray],
              titles: list[str], vrange: tuple[float, float], out: Path, title: str) -> None:
    """Save an image | ground truth | anomaly map | overlay grid.

    Args:
        images: ``(R, R, 3)`` uint8 each.
        masks: ``(R, R)`` bool each; ``None`` (no pixel masks): no ground-truth column.
        maps: ``(R, R)`` float each.
        titles: One row title each (defect type and score).
        vrange: ``(vmin, vmax)`` colour scale shared by every map.
        out: PNG path.
        title: Figure title.
    """
    columns = ["image", "anomaly map", "overlay"]
    if masks is not None:
        columns.insert(1, "ground truth")
    fig, axes = plt.subplots(len(images), len(columns), figsize=(2.5 * len(columns), 2.6 * len(images)),
                             squeeze=False)
    for row, (image, amap, name) in enumerate(zip(images, maps, titles, strict=True)):
        ax = axes[row]
        ax[0].imshow(image)
        ax[0].set_ylabel(name, fontsize=8)
        if masks is not None:
            ax[1].imshow(masks[row], cmap="gray", vmin=0, vmax=1)
        shown = ax[-2].imshow(amap, cmap="jet", vmin=vrange[0], vmax=vrange[1])
        ax[-1].imshow(image)
        ax[-1].imshow(amap, cmap="jet", vmin=vrange[0], vmax=vrange[1], alpha=0.45)
        if masks is not None and masks[row].any():  # the GT outline: where the map should light up
            ax[-1].contour(masks[row], levels=[0.5], colors="white", linewidths=0.8)
        fig.colorbar(shown, ax=ax[-2], fraction=0.046, pad=0.02)
    for col, name in enumerate(columns):
        axes[0, col].set_title(name, fontsize=9)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)


def run_figure(run_dir: Path, index_path: Path, n_images: int, out: Path, title: str) -> None:
    """Draw the figure of one run folder (``scores.csv`` + ``maps.npz``) into ``out``.

    Raises:
        DataError: A file of the run or its index is missing or inconsistent.
    """
    for name in ("scores.csv", "maps.npz"):
        if not (run_dir / name).is_file():
            raise DataError(f"{run_dir / name}: missing (run `synthad evaluate` first)")
    scores = pd.read_csv(run_dir / "scores.csv", dtype={"path": str, "defect_type": str},
                         keep_default_na=False)
    with np.load(run_dir / "maps.npz") as npz:
        maps, paths = npz["maps"].astype(np.float32), [str(p) for p in npz["paths"]]
    if paths != list(scores["path"]):
        raise DataError(f"{run_dir}: maps.npz and scores.csv list different images")
    index = read_index(index_path, check_files=False)
    picked = pick_images(scores, n_images)
    pairs = [ground_truth(index, paths[i], maps.shape[-1]) for i in picked]
    titles = [f"{scores['defect_type'].iloc[i]}  s={scores['score'].iloc[i]:.3g}" for i in picked]
    masks = [p[1] for p in pairs] if has_pixel_masks(index) else None
    plot_grid([p[0] for p in pairs], masks, [maps[i] for i in picked], titles,
              (float(maps.min()), float(maps.max())), out, title)


def write_figures(runs_dir: str | Path, index_dir: str | Path, config: ReportConfig,
                  out: str | Path) -> list[Path]:
    """One PNG per data set / category / method (lowest seed) into ``out``, replaced atomically.

    Args:
        runs_dir: ``results/runs``.
        index_dir: ``data/index`` (``<dataset>/<category>.csv``).
        config: ``figure_images`` rows per figure.
        out: Output folder, e.g. ``results/figures/maps``.

    Returns:
        Final paths of the PNG files.

    Raises:
        DataError: No run found, or a run/index file is missing.
    """
    runs = find_runs(runs_dir)
    if not runs:
        raise DataError(f"{runs_dir}: no run with maps.npz found")
    out, written = Path(out), []
    with atomic_dir(out) as tmp:
        for (dataset, category, method), run_dir in runs.items():
            target = tmp / dataset / category / f"{method}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            run_figure(run_dir, Path(index_dir) / dataset / f"{category}.csv", config.figure_images, target,
                       f"{dataset} / {category} / {method} ({run_dir.name})")
            written.append(out / target.relative_to(tmp))
    return written
