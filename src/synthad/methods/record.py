"""What a training run has done so far, across the pieces of an interrupted and resumed run.

:class:`~synthad.methods.loop.EpochLoop` saves the record in every checkpoint and takes it back on a
resume, so ``synthad train`` writes every epoch to ``train_log.csv`` and the true totals to
``train_info.json`` (``epochs``, ``train_seconds``, ``resumes``), however often the run was killed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class RunRecord:
    """Log rows, training seconds and resumes of one run.

    Attributes:
        rows: Every row the run's epoch loops logged, in order (plain ints, floats and strings).
        resumes: One entry per resume: ``{"loop": <loop label>, "after_epoch": k, "of": total}``.
        seconds_before: Training seconds of the earlier pieces, up to their last checkpoint (time
            spent after it, on epochs that are redone, is not counted).
        started: ``time.perf_counter()`` when this piece started.
    """

    rows: list[dict] = field(default_factory=list)
    resumes: list[dict] = field(default_factory=list)
    seconds_before: float = 0.0
    started: float = field(default_factory=time.perf_counter)

    def seconds(self) -> float:
        """Training seconds of the whole run so far: the earlier pieces plus this one."""
        return self.seconds_before + time.perf_counter() - self.started

    def state_dict(self) -> dict:
        """Plain data for the checkpoint (readable with ``weights_only=True``)."""
        return {"rows": [dict(row) for row in self.rows], "resumes": [dict(r) for r in self.resumes],
                "seconds": self.seconds()}

    def load_state_dict(self, state: dict) -> None:
        """Take over a saved record; this piece's clock keeps running, so its set-up time counts."""
        self.rows = [dict(row) for row in state["rows"]]
        self.resumes = [dict(r) for r in state["resumes"]]
        self.seconds_before = float(state["seconds"])
