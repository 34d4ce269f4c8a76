"""Box plots only where a box holds two or more points."""

from __future__ import annotations

import pandas as pd

from synthad.report.plots import box_figure


def _metrics(categories: list[str]) -> pd.DataFrame:
    rows = [dict(dataset="toy", category=c, method=m, seed=s, metric="image_auroc", value=0.5 + 0.1 * k)
            for k, c in enumerate(categories) for m in ("draem", "mean_image") for s in (0, 1)]
    return pd.DataFrame(rows)


def test_box_plot_over_two_categories(tmp_path):
    out = tmp_path / "box.png"
    assert box_figure(_metrics(["a", "b"]), "toy", out, 100.0)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_box_plot_of_one_category_even_with_two_seeds(tmp_path):
    out = tmp_path / "box.png"
    assert not box_figure(_metrics(["a"]), "toy", out, 100.0)
    assert not out.exists()
