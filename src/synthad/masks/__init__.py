"""Foreground masks: computation, files per image, and a contact sheet.

The per-category rules follow RealNet's official code (docs/official-code.md#realnet-foreground-masks).
"""

from synthad.masks.foreground import foreground_mask, mask_file_for, write_masks

__all__ = ["foreground_mask", "mask_file_for", "write_masks"]
