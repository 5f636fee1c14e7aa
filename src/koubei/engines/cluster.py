"""Dask's distributed scheduler as every stage that can run on it uses it.

The optional import with its install line (:func:`require_distributed`), a client
of a running scheduler or of a local cluster started for the call (:func:`connect`),
a finished future's result with its memory released (:func:`released_result`), and
the Parquet parts of a dataset folder (:func:`parquet_files`). Scoring on Dask is
:mod:`koubei.engines.dask`; aggregation and detection on Dask use only these helpers.
Importing this module does not import Dask.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from koubei.errors import EngineError, InputError

INSTALL = 'pip install "koubei[dask]"'


def require_distributed() -> Any:
    """The ``distributed`` module, or an EngineError with the install line."""
    try:
        import distributed
    except ImportError:
        raise EngineError(
            f"the dask engine needs Dask's distributed scheduler, which is not installed; "
            f"install it with: {INSTALL}"
        ) from None
    return distributed


def released_result(fut: Any) -> Any:
    """A finished future's result, its memory on the cluster released at once."""
    out = fut.result()
    fut.release()
    return out


#: how long to try reaching a scheduler named by --scheduler before saying it cannot be reached
CONNECT_TIMEOUT = "20s"


@contextmanager
def connect(distributed: Any, scheduler: str | None, n_workers: int | None) -> Iterator[Any]:
    """A client of the scheduler at ``scheduler``, or of a local cluster started for the call.

    Raises:
        EngineError: the scheduler cannot be reached.
    """
    if scheduler is None:
        from koubei.model.parallel import available_cores

        with distributed.LocalCluster(n_workers=n_workers or available_cores(), threads_per_worker=1,
                                      processes=True, dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            yield client
        return
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as err:
        raise EngineError(
            f"cannot reach the Dask scheduler at {scheduler} ({err}); start one with "
            "`dask scheduler` and its workers with `dask worker ADDRESS`, or drop --scheduler "
            "to use a local cluster"
        ) from None
    with client:
        yield client


def parquet_files(folder: Path) -> list[Path]:
    """The Parquet files of a dataset folder, by name (hidden and ``_`` files left out).

    A folder ``koubei run`` is compacting holds a :data:`COMPACTING` marker: once the merged
    part it names is in place, the parts it merged are left out (they may still be there, for
    an instant or until the next run after a crash), so no row is read twice.

    Raises:
        InputError: the folder holds no Parquet file, or its compaction marker is unreadable.
    """
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".parquet", ".pq")
                   and not p.name.startswith((".", "_")))
    merged = compacted_parts(folder)
    files = [p for p in files if p.name not in merged]
    if not files:
        raise InputError(f"{folder}: no .parquet files in this folder")
    return files


#: the marker of a compaction in progress: ``{"target": part, "sources": [parts]}``
COMPACTING = "_COMPACTING"


def compacted_parts(folder: Path) -> set[str]:
    """The parts a compaction in progress has merged into its target, when the target is in place."""
    marker = folder / COMPACTING
    try:
        plan = json.loads(marker.read_text(encoding="utf-8"))
        target, sources = str(plan["target"]), {str(s) for s in plan["sources"]}
    except FileNotFoundError:
        return set()
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(f"{marker}: unreadable compaction marker ({e}); `koubei run` on this history "
                         "finishes the compaction") from None
    return sources if (folder / target).is_file() else set()
