"""SLSG Table 3's sPRO-AUC cells are matched with LOCO's official headline AU-sPRO, and say so."""

from __future__ import annotations

import pandas as pd
import pytest

from synthad.config import ReportConfig
from synthad.data.registry import get_dataset
from synthad.report.claims import CLAIMS_DIR, load_table
from synthad.report.matching import Matcher, match_table
from synthad.report.paper_tables import paper_grid

SLSG3 = load_table(CLAIMS_DIR / "slsg_table3.yaml")
LOCO = get_dataset("mvtec_loco").categories


def _metrics() -> pd.DataFrame:
    """Two seeds of slsg on every LOCO category; the headline and the pooled AU-sPRO differ."""
    values = {"image_auroc": 0.9, "pixel_auspro": 0.6, "pixel_auspro_pooled": 0.4}
    return pd.DataFrame([
        dict(dataset="mvtec_loco", category=c, method="slsg", seed=s, metric=m, value=v + 0.01 * s)
        for c in LOCO for s in (0, 1) for m, v in values.items()
    ])


def test_spro_claims_get_the_official_headline_not_the_pooled_curve():
    metrics = _metrics()
    records = match_table(SLSG3, Matcher(metrics))
    ours = records[(records["entry"] == "ours") & (records["metric"] == "pixel_spro")]
    assert set(ours["status"]) == {"reproduced"} and len(ours) == len(LOCO) + 1  # + the printed Mean
    assert ours["ours_mean"].to_numpy() == pytest.approx(60.5)  # pixel_auspro x 100, not the pooled 40.5
    grid = paper_grid(SLSG3, records, pd.DataFrame(columns=["dataset", "method", "config"]), metrics,
                      ReportConfig())
    note = next(n for n in grid.notes if "sPRO-AUC (which one)" in n)
    assert "does not say" in note and "mean of the structural and the logical AU-sPRO" in note
