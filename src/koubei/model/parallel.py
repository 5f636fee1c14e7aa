"""Scoring batches on several worker processes, the model loaded once per worker.

With the ``fork`` start method (Linux) workers inherit the loaded model
without pickling it; elsewhere it is pickled once per worker. Batches come
back in order, so the result does not depend on the number of workers.

By default each :func:`predict_batches` call starts and stops its own pool.
Inside ``with keep_workers(model, n):`` every call for that model reuses one
pool, started once: streaming scoring (one ``ReviewModel.score`` call per
chunk) then pays for starting workers, and for warming their caches, once.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

_WORKER_MODEL: Any = None


@dataclass(frozen=True)
class _KeptPool:
    model: Any
    workers: int
    executor: Executor


_KEPT: ContextVar[_KeptPool | None] = ContextVar("koubei_kept_pool", default=None)


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


def _noop() -> None:
    return None


def _executor(model: Any, workers: int) -> ProcessPoolExecutor:
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(workers, mp_context=mp.get_context(method),
                               initializer=_init_worker, initargs=(model,))


@contextmanager
def keep_workers(model: Any, workers: int) -> Iterator[None]:
    """Keep one pool of ``workers`` processes for every ``predict_batches`` call on ``model``.

    The workers start (fork) on entry, before the caller reads any data, so
    they do not inherit its chunks; they stop on exit. With ``workers <= 1``
    this does nothing.
    """
    if workers <= 1:
        yield
        return
    with _executor(model, workers) as pool:
        pool.submit(_noop).result()  # fork now, while this process is small
        token = _KEPT.set(_KeptPool(model, workers, pool))
        try:
            yield
        finally:
            _KEPT.reset(token)


def predict_batches(model: Any, batches: Sequence[list[str]], workers: int,
                    progress: Callable[[int], None] | None = None) -> Iterator[list[Any]]:
    """Yield ``model.predict(batch)`` for each batch, in order.

    Args:
        model: anything with ``predict(list[str]) -> list``.
        workers: processes to use; 1 (or a single batch) predicts in this
            process, unless a pool is kept for ``model`` (:func:`keep_workers`).
    """
    kept = _KEPT.get()
    if kept is not None and kept.model is model and workers > 1 and batches:
        yield from _mapped(kept.executor, batches, progress)
        return
    if workers <= 1 or len(batches) <= 1:
        for b in batches:
            preds = model.predict(b)
            if progress:
                progress(len(b))
            yield preds
        return
    with _executor(model, min(workers, len(batches))) as pool:
        yield from _mapped(pool, batches, progress)


def _mapped(pool: Executor, batches: Sequence[list[str]],
            progress: Callable[[int], None] | None) -> Iterator[list[Any]]:
    for b, preds in zip(batches, pool.map(_predict_batch, batches)):
        if progress:
            progress(len(b))
        yield preds
