"""Foreground masks (METHOD_NOTES A.3): computation, files per image, and a contact sheet."""

from synthad.masks.foreground import foreground_mask, mask_file_for, write_masks

__all__ = ["foreground_mask", "mask_file_for", "write_masks"]
