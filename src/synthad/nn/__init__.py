"""Shared network blocks and losses: SSIM, focal loss, DRAEM-style weight init, large-kernel conv."""

from synthad.nn.focal import FocalLoss, focal_loss
from synthad.nn.init import init_weights
from synthad.nn.large_kernel import ReparamLargeKernelConv, merge_reparam
from synthad.nn.ssim import SSIMLoss, gaussian_window, ssim, ssim_map

__all__ = ["FocalLoss", "ReparamLargeKernelConv", "SSIMLoss", "focal_loss", "gaussian_window", "init_weights",
           "merge_reparam", "ssim", "ssim_map"]
