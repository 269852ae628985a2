"""Torch's intra-op thread count, chosen per problem and always restored."""

import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import torch

# Below this many multiply-adds per training step, spreading the matmuls over
# several threads costs more in synchronisation than it gains. On a 2-core
# machine a second thread made the default fit of one member 2-21 % slower and
# of five members 11-12 % faster (two runs of benchmarks/kernels.py, section
# 4), within the machine's noise, and fits run side by side (GridSearchCV
# n_jobs) would then oversubscribe the cores, so only networks far larger than
# the defaults get more.
_SINGLE_THREAD_WORK = 2**30


# Scoring calls are one large chunk of rows through every member: there a
# second thread pays off from about this many multiply-adds per call (the
# defaults score 1M x 20 rows in 2.14 s with two worker threads on two cores,
# 3.12 s with one; benchmarks/perf.py).
_SINGLE_THREAD_SCORING_WORK = 2**25


def choose_n_threads(n_threads, work_per_step, single_thread_work=_SINGLE_THREAD_WORK):
    """Resolve ``n_threads="auto"`` from the multiply-adds of one training step (or call)."""
    if n_threads != "auto":
        return int(n_threads)
    if work_per_step < single_thread_work:
        return 1
    return max(1, min(os.cpu_count() or 1, torch.get_num_threads()))


def choose_scoring_threads(n_threads, work_per_call):
    """Resolve ``n_threads="auto"`` for scoring from the multiply-adds of one call."""
    return choose_n_threads(n_threads, work_per_call, _SINGLE_THREAD_SCORING_WORK)


@contextmanager
def torch_threads(n_threads):
    """Run the body with ``n_threads`` intra-op threads, then restore the caller's."""
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def for_each_in_threads(function, items, n_workers):
    """Call ``function`` on every item, in ``n_workers`` threads of one torch thread each.

    Scoring chunks are independent and write to disjoint rows of preallocated
    outputs. Running whole chunks side by side uses every core for every
    operation, where torch's intra-op threads only split the larger ones, and
    keeps each product single-threaded, so its rounding cannot depend on how
    many threads there are. At most ``2 * n_workers`` items are drawn from
    ``items`` ahead of the one being finished, which bounds memory.
    """
    if n_workers <= 1:
        with torch_threads(1):
            for item in items:
                function(item)
        return
    # torch's thread count holds for the thread that sets it: a new thread's
    # products otherwise run on every core (benchmarks/threads.py)
    with (
        torch_threads(1),
        ThreadPoolExecutor(n_workers, initializer=torch.set_num_threads, initargs=(1,)) as pool,
    ):
        pending = deque()
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) >= 2 * n_workers:
                pending.popleft().result()
        while pending:
            pending.popleft().result()
