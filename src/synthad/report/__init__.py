"""Reporting: collect metrics, render tables and figures from the run folders of ``synthad evaluate``.

Metrics are collected by :mod:`.aggregate`, tables rendered by :mod:`.tables` and figures by
:mod:`.figures`. The papers' claimed numbers, transcribed table by table, live in :mod:`.claims`.
"""
