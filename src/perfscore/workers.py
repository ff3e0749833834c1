"""Work spread over worker processes, each input's result in input order: the one home of
the pool ``batch`` scores in and ``score`` reads many workbooks in (its bounded queue, its
workers' signals, and its stop on Ctrl-C)."""

from __future__ import annotations

import collections
import gc
import itertools
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, Iterator

MAX_JOBS = 8  # worker processes at most, whatever --jobs asks (each holds a Python and its inputs)


def max_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, MAX_JOBS))


def can_fork() -> bool:
    """Whether workers start as forks of this process (cheap: nothing imported again)."""
    import multiprocessing

    return hasattr(os, "fork") and multiprocessing.get_start_method(allow_none=True) in (None, "fork")


def _start(initializer: Callable | None, initargs: tuple) -> None:
    # Ctrl-C is the main process's to handle (it stops the workers); SIGTERM kills
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if initializer is not None:
        initializer(*initargs)


def ordered_map(work: Callable[[list], list], items: Iterable, jobs: int, chunk: int,
                initializer: Callable | None = None, initargs: tuple = ()) -> Iterator:
    """``work(a chunk of items)`` → one result per item, run in ``jobs`` worker processes
    (``initializer(*initargs)`` once in each); every item's result yielded in input order.
    At most a few chunks per worker are in flight, so neither the queue of tasks nor the
    finished results grow with the number of items. Interrupted (Ctrl-C, or the caller
    stops early or fails), the workers are stopped at once, not after the queue."""
    gc.freeze()  # the forked workers' collector leaves the inherited heap alone (no copy-on-write storm)
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_start, initargs=(initializer, initargs))
    try:
        pending: collections.deque = collections.deque()
        source = iter(items)
        for part in iter(lambda: list(itertools.islice(source, chunk)), []):
            pending.append(pool.submit(work, part))
            if len(pending) >= 3 * jobs:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    except BaseException:
        processes = list((getattr(pool, "_processes", None) or {}).values())
        for process in processes:
            process.terminate()
        # stopped means stopped: a batch's worker still writing a sheet into the set built
        # aside would refill the folder while the caller removes it (and leave it behind)
        for process in processes:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        gc.unfreeze()
    pool.shutdown()
