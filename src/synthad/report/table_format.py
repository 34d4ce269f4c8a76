"""What every table and figure of the report prints the same way: metric names and LaTeX escaping.

Shared by :mod:`.tables`, :mod:`.unified`, :mod:`.grid`, :mod:`.plots` and :mod:`.document`,
which import it and never each other for these (so the report package has no import cycle).
"""

from __future__ import annotations

HEADLINE_METRICS = ("image_auroc", "pixel_auroc", "pixel_aupro")
PRETTY = {
    "image_auroc": "I-AUROC", "image_ap": "I-AP", "image_f1_max": "I-F1max", "pixel_auroc": "P-AUROC",
    "pixel_ap": "P-AP", "pixel_aupro": "AU-PRO", "pixel_f1_max": "P-F1max", "train_seconds": "train [s]",
    "inference_images_per_s": "inference [img/s]", "train_peak_memory_mb": "train peak [MiB]",
    "eval_peak_memory_mb": "eval peak [MiB]", "decision_precision": "Prec@thr", "decision_recall": "Rec@thr",
}
# A metric a run could not measure is absent from its metrics.json (an image-level data set,
# ``pixel_masks: false``, has none of PIXEL_METRICS) and prints NOT_MEASURED, unlike an undefined
# value (NaN, a dash).
NOT_MEASURED = "n/a"
PIXEL_METRICS = ("pixel_auroc", "pixel_ap", "pixel_f1_max", "pixel_aupro")

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  # the few non-ASCII signs the tables use, as commands pdflatex knows without packages
                  "±": r"$\pm$", "−": "$-$", "Δ": r"$\Delta$", "≥": r"$\geq$", "≤": r"$\leq$",
                  "×": r"$\times$", "†": r"\dag{}", "‡": r"\ddag{}", "—": "---", "–": "--", "·": r"$\cdot$"}


def escape_latex(text: str) -> str:
    r"""Escape LaTeX's special characters (``metal_nut`` -> ``metal\_nut``) and the tables' signs (``±``)."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))
