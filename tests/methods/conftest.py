"""Method tests run torch on one thread.

On tiny networks thread hand-offs dominate (SLSG's cases took 5x longer on 2 threads), and the
resume tests compare bit-exact, which needs a fixed reduction order.
"""

import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
