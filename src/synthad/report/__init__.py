"""Reporting: collect metrics, render tables and figures, assemble the report.

Metrics and each run's settings are collected by :mod:`.aggregate` and :mod:`.settings`; tables
rendered by :mod:`.tables` (summary, comparison, cost), :mod:`.unified` (every method x category)
and :mod:`.paper_tables` (each paper's table: claimed | ours | delta, matched by :mod:`.matching`),
all through the one table model of :mod:`.grid`, with the statistics of :mod:`.statistics` and
the names and escaping of :mod:`.table_format` (the modules they all import, so imports run one
way); figures by :mod:`.figures` (per-run maps) and :mod:`.plots` (ROC, box plots, map grids,
training curves); :mod:`.document` assembles the LaTeX document and the self-contained HTML page,
opening on :mod:`.headline` (methods against the naive baseline, claims against ours) and with
the pipeline's cost from Snakemake's benchmark files (:mod:`.costs`). The papers' claimed
numbers, transcribed table by table, live in :mod:`.claims`.
"""
