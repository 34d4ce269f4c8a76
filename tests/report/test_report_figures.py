"""Choice of the images a figure shows and the discovery of run folders."""

from __future__ import annotations

import pandas as pd
import pytest

from synthad.errors import DataError
from synthad.report.figures import find_runs, pick_images


def test_pick_defect_types_in_turn_plus_one_good():
    scores = pd.DataFrame({
        "path": ["g1", "a1", "a2", "a3", "b1", "g0"],
        "label": [0, 1, 1, 1, 1, 0],
        "defect_type": ["good", "crack", "crack", "crack", "hole", "good"],
    })
    picked = pick_images(scores, 4)
    assert list(scores["path"].iloc[picked]) == ["a1", "b1", "a2", "g0"]
    assert list(scores["path"].iloc[pick_images(scores, 1)]) == ["g0"]
    assert len(pick_images(scores, 20)) == 6


def test_find_runs_takes_lowest_seed(tmp_path):
    for seed in (3, 1, 10):
        run = tmp_path / "toy" / "cat" / "m" / f"seed{seed}"
        run.mkdir(parents=True)
        (run / "maps.npz").write_bytes(b"")
    assert find_runs(tmp_path) == {("toy", "cat", "m"): tmp_path / "toy" / "cat" / "m" / "seed1"}
    with pytest.raises(DataError, match="does not exist"):
        find_runs(tmp_path / "none")
