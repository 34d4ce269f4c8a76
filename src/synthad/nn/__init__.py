"""Shared network blocks and losses: SSIM, focal loss, DRAEM-style weight initialisation."""

from synthad.nn.focal import FocalLoss, focal_loss
from synthad.nn.init import init_weights
from synthad.nn.ssim import SSIMLoss, gaussian_window, ssim, ssim_map

__all__ = ["FocalLoss", "SSIMLoss", "focal_loss", "gaussian_window", "init_weights", "ssim", "ssim_map"]
