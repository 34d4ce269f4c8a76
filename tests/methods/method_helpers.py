"""Test helpers shared by the per-method tests (imported as ``from method_helpers import ...``)."""

import torch
from torch.utils.data import Dataset


class Images(Dataset):
    """``n`` random ``size`` x ``size`` RGB images (seeded), as a training dataset."""

    def __init__(self, n=4, size=32):
        self.x = torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(0))

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return {"image": self.x[i]}
