"""SynthAD: industrial anomaly detection from synthetic anomalies, as one reproducible pipeline.

The package is organised by pipeline phase (``data``, ``masks``, ``synthesis``, ``banks``,
``methods``, ``evaluation``, ``report``); every phase is reachable as a ``synthad <stage>`` command
(see :mod:`synthad.cli`), which is what the Snakemake rules and DVC stages call.
"""

__version__ = "0.1.0"
