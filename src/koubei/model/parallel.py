"""Scoring batches on several worker processes, the model loaded once per worker.

With the ``fork`` start method (Linux) workers inherit the loaded model
without pickling it; elsewhere it is pickled once per worker. Batches come
back in order, so the result does not depend on the number of workers.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

_WORKER_MODEL: Any = None


def available_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _init_worker(model: Any) -> None:
    global _WORKER_MODEL
    _WORKER_MODEL = model


def _predict_batch(texts: list[str]) -> list[Any]:
    return _WORKER_MODEL.predict(texts)


def predict_batches(model: Any, batches: Sequence[list[str]], workers: int,
                    progress: Callable[[int], None] | None = None) -> Iterator[list[Any]]:
    """Yield ``model.predict(batch)`` for each batch, in order.

    Args:
        model: anything with ``predict(list[str]) -> list``.
        workers: processes to use; 1 (or a single batch) predicts in this process.
    """
    if workers <= 1 or len(batches) <= 1:
        for b in batches:
            preds = model.predict(b)
            if progress:
                progress(len(b))
            yield preds
        return
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(min(workers, len(batches)), mp_context=mp.get_context(method),
                             initializer=_init_worker, initargs=(model,)) as pool:
        for b, preds in zip(batches, pool.map(_predict_batch, batches)):
            if progress:
                progress(len(b))
            yield preds
