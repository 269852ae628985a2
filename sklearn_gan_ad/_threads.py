"""Torch's intra-op thread count, chosen per problem and always restored."""

import os
from contextlib import contextmanager

import torch

# Below this many multiply-adds per training step, spreading the matmuls over
# several threads costs more in synchronisation than it gains. On a 2-core
# machine one thread was 30-50x faster than two for the default networks, and
# still 25x faster at 1,000 features (about 1e8 multiply-adds per step; see
# benchmarks/perf.py), so only networks far larger than the defaults get more.
_SINGLE_THREAD_WORK = 2**30


def choose_n_threads(n_threads, work_per_step):
    """Resolve ``n_threads="auto"`` from the multiply-adds of one training step."""
    if n_threads != "auto":
        return int(n_threads)
    if work_per_step < _SINGLE_THREAD_WORK:
        return 1
    return max(1, min(os.cpu_count() or 1, torch.get_num_threads()))


@contextmanager
def torch_threads(n_threads):
    """Run the body with ``n_threads`` intra-op threads, then restore the caller's."""
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
