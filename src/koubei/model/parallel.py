"""Scoring batches on several worker processes, the model loaded once per worker.

With the ``fork`` start method (Linux) workers inherit the loaded model
without pickling it; elsewhere it is pickled once per worker. Batches come
back in order, so the result does not depend on the number of workers.

Each distinct text of a :func:`predict_batches` call (a streamed chunk) is
predicted once; repeats share its prediction. Batches are predicted with the
cyclic garbage collector paused (:func:`gc_paused`), and workers freeze what
they inherited out of its reach.

Workers never outlive the process that started them: each watches its
parent (:func:`_watch_parent`) and exits when it is gone, even after a
``kill -9`` that gave the parent no chance to stop them; and each takes
SIGTERM's default action, so stopping a pool never runs the parent's handler.
A worker that dies while scoring (the out-of-memory killer, a ``kill`` of its
pid) is an :class:`~koubei.errors.EngineError`, one line at the command line,
not a ``BrokenProcessPool`` traceback.

By default each :func:`predict_batches` call starts and stops its own pool.
Inside ``with keep_workers(model, n):`` every call for that model reuses one
pool, started once: streaming scoring (one ``ReviewModel.score`` call per
chunk) then pays for starting workers, and for warming their caches, once.

:func:`map_in_workers` runs any function over items on such workers (``koubei train``
fits its cross-validation folds with it).
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from koubei.errors import EngineError

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


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the body with Python's cyclic garbage collector off (back on after, if it was on).

    Predicting a batch allocates ~10^5 small objects; each full collection then
    walks every live object of the process (model, segmenter caches), which
    took ~15 % of the CPU. Garbage of a batch is bounded by the batch and is
    collected when the collector is back on.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


#: seconds between a worker's checks that its parent is alive
PARENT_POLL_S = 0.5


def _watch_parent(parent: int, poll: float = PARENT_POLL_S) -> None:
    """Exit this process once ``parent`` is no longer its parent (it died; we were re-parented)."""
    while os.getppid() == parent:
        time.sleep(poll)
    os._exit(1)  # no cleanup to run: the worker owns no files, its results have no reader


def _init_worker(model: Any, parent: int) -> None:
    global _WORKER_MODEL
    _WORKER_MODEL = model
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler (CLI) is not the worker's
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="koubei-parent-watch").start()
    warm = getattr(model, "warm", None)
    if warm is not None:  # loads the segmenter's dictionaries while the parent reads the first chunk
        warm()
    gc.freeze()  # what the worker inherited stays out of every collection (and unshared pages)


def _predict_batch(texts: list[str]) -> list[Any]:
    with gc_paused():
        return _WORKER_MODEL.predict(texts)


def _noop() -> None:
    return None


def _apply(fn: Callable[[Any, Any], Any], item: Any) -> Any:
    from threadpoolctl import threadpool_limits  # imported where used: scoring never needs it

    with threadpool_limits(1):  # one BLAS thread a worker: the workers take the cores
        return fn(_WORKER_MODEL, item)


def map_in_workers(fn: Callable[[Any, Any], Any], payload: Any, items: Iterable[Any], workers: int,
                   what: str = "worker") -> Generator[Any, None, None]:
    """Yield ``fn(payload, item)`` for each item, in order, computed on ``workers`` processes.

    The workers inherit ``payload`` (fork; elsewhere it is pickled once per worker), so only
    the items and the results travel; ``fn`` must be a module-level function. They watch
    their parent as scoring workers do. With ``workers <= 1`` (or one item) everything runs
    in this process. An exception raised by ``fn`` is raised here. An exception in the caller
    while it reads the results, or closing the generator early (``contextlib.closing``), cancels
    the items not started and stops the workers at once (SIGTERM) rather than waiting for the
    running ones.

    Raises:
        EngineError: a worker died (``what`` names it in the message).
    """
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        for item in items:
            yield fn(payload, item)
        return
    pool = _executor(payload, min(workers, len(items)))
    try:
        yield from pool.map(_apply, [fn] * len(items), items)
    except BrokenProcessPool:
        raise EngineError(f"a {what} process died (killed from outside, e.g. by the out-of-memory "
                          "killer); rerun with fewer --workers") from None
    except BaseException:  # the caller failed or stopped reading (GeneratorExit): stop, do not wait
        _terminate(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop ``pool``'s workers now (they take SIGTERM's default action, see ``_init_worker``)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())  # no public handle before 3.14
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        p.terminate()
    for p in procs:
        p.join(5)


def _executor(model: Any, workers: int) -> ProcessPoolExecutor:
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(workers, mp_context=mp.get_context(method),
                               initializer=_init_worker, initargs=(model, os.getpid()))


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
        # fork now, while this process is small (with fork, submit starts every worker); not
        # waiting for the no-op lets the workers warm up (_init_worker) while the caller reads
        pool.submit(_noop)
        token = _KEPT.set(_KeptPool(model, workers, pool))
        try:
            yield
        finally:
            _KEPT.reset(token)


def predict_batches(model: Any, batches: Sequence[list[str]], workers: int,
                    progress: Callable[[int], None] | None = None) -> Iterator[list[Any]]:
    """Yield ``model.predict(batch)`` for each batch, in order.

    Each distinct text of all the batches is predicted once (a prediction
    depends on its text alone): repeats share that prediction object, and
    the distinct texts are cut into batches as large as the largest given.

    Args:
        model: anything with ``predict(list[str]) -> list``.
        workers: processes to use; 1 (or a single batch) predicts in this
            process, unless a pool is kept for ``model`` (:func:`keep_workers`).
        progress: called with each given batch's size once it is predicted.
    """
    first: dict[str, int] = {}
    rows = [[first.setdefault(t, len(first)) for t in b] for b in batches]
    distinct = list(first)
    needs = [max(r, default=-1) for r in rows]  # a batch is ready once this one is predicted
    size = max(map(len, batches), default=1) or 1
    done: list[Any] = []
    k = 0
    for preds in _predict_distinct(model, [distinct[i:i + size] for i in range(0, len(distinct), size)],
                                   workers):
        done.extend(preds)
        while k < len(rows) and needs[k] < len(done):
            if progress:
                progress(len(rows[k]))
            yield [done[i] for i in rows[k]]
            k += 1
    for r in rows[k:]:  # only empty batches can be left
        yield [done[i] for i in r]


def _predict_distinct(model: Any, batches: list[list[str]], workers: int) -> Iterator[list[Any]]:
    kept = _KEPT.get()
    if kept is not None and kept.model is model and workers > 1 and batches:
        yield from _pool_map(kept.executor, batches)
        return
    if workers <= 1 or len(batches) <= 1:
        for b in batches:
            with gc_paused():
                preds = model.predict(b)
            yield preds
        return
    with _executor(model, min(workers, len(batches))) as pool:
        yield from _pool_map(pool, batches)


def _pool_map(pool: Executor, batches: list[list[str]]) -> Iterator[list[Any]]:
    """The predictions of ``batches`` on ``pool``, in order.

    Raises:
        EngineError: a worker died (killed from outside, e.g. by the out-of-memory killer).
    """
    try:
        yield from pool.map(_predict_batch, batches)
    except BrokenProcessPool:
        raise EngineError(
            "a scoring worker process died (killed from outside, e.g. by the out-of-memory killer); "
            "rerun, with fewer --workers or a smaller --chunksize if memory is short"
        ) from None
