"""Reporting: collect metrics (:mod:`.aggregate`), render tables (:mod:`.tables`) and figures
(:mod:`.figures`) from the run folders written by ``synthad evaluate``.
"""
