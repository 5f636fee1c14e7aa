"""Scoring a dump on Dask's distributed scheduler, into a partitioned Parquet dataset.

    from koubei.engines.dask import score_dataset
    score_dataset("reviews.csv", "scored/", scheduler="tcp://10.0.0.5:8786")

How the work is split:

- This process (the client) reads the dump chunk by chunk with the same
  reader as ``koubei score`` (:class:`koubei.io.ReviewReader`, or
  :class:`DatasetReader` for a folder of Parquet files): ids, ``status`` and
  flags need the whole file in order (a repeated text's ``-2`` suffix, the
  ``duplicate`` flag), so they are computed here, sequentially and cheaply
  (about 25k rows/s on one core), and equal the in-process ones exactly.
- Each chunk is one partition, sent to a worker, scored there by
  :meth:`ReviewModel.score` (the code path of ``koubei score``) and written
  as ``part-00000.parquet``, ``part-00001.parquet``... under one schema (the
  first partition's, see :func:`koubei.scoring.local.stream_schema`).
- The model is never pickled: each worker process loads it once from
  ``model_path`` (the same path on every worker; the bundled default when
  None) and keeps it for every later task.
- Parts go to a hidden ``.NAME.XXXXXXXX.tmp`` folder beside the target,
  then a ``_SUCCESS`` file (JSON: rows, partitions), then the folder is
  renamed onto the target. A killed run leaves only the hidden folder, which
  the next run for the same target removes. The target folder must be on a
  file system every worker sees at the same path.
- At most two partitions per worker are in flight, so the client's memory
  stays bounded by the partition size.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from koubei.engines.cluster import connect, parquet_files, released_result, require_distributed
from koubei.errors import InputFormatError
from koubei.io import ReadOptions, ReadReport, ReviewReader
from koubei.io.formats import detect_format
from koubei.io.reader import make_canonicalizer, make_options
from koubei.io.sources import open_source
from koubei.io.timeparse import resolve_now
from koubei.io.writers import atomic_dir, check_target_dir, remove_stale_temps
from koubei.model.review_model import ReviewModel, load_model
from koubei.scoring.local import (
    DEFAULT_CHUNKSIZE,
    ScoreSummary,
    SummaryCounts,
    arrow_table,
    conform,
    stream_schema,
)

SUCCESS = "_SUCCESS"
PART_NAME = "part-{:05d}.parquet"
IN_FLIGHT_PER_WORKER = 2

_MODELS: dict[str | None, ReviewModel] = {}
_MODELS_LOCK = threading.Lock()


@dataclass
class DatasetResult:
    """What :func:`score_dataset` wrote."""

    output: Path
    partitions: int
    read_report: ReadReport
    summary: ScoreSummary


def score_dataset(
    input_path: str | os.PathLike[str], output_dir: str | os.PathLike[str], *,
    scheduler: str | None = None, partitions: int | None = None,
    chunksize: int = DEFAULT_CHUNKSIZE, model_path: str | os.PathLike[str] | None = None,
    input_format: str | None = None, overwrite: bool = False, batch_size: int = 2000,
    n_workers: int | None = None, on_read: Callable[[ReadReport], None] | None = None,
    progress: Callable[[int], None] | None = None, **read_options: Any,
) -> DatasetResult:
    """Score a dump on Dask and write it as a partitioned Parquet dataset.

    Args:
        input_path: a review dump (any format ``koubei score`` reads) or a
            folder of Parquet files, read in file-name order as one dump.
        output_dir: the dataset folder to write (``part-*.parquet`` + ``_SUCCESS``).
        scheduler: address of a running scheduler (``tcp://host:8786``);
            None starts a local cluster of ``n_workers`` processes for this call.
        partitions: how many partitions to cut the dump into (rows counted
            first); None cuts every ``chunksize`` rows.
        chunksize: rows per partition when ``partitions`` is None.
        model_path: the model bundle, at this path on every worker; None:
            the bundled default of the koubei installed there.
        n_workers: local cluster only: worker processes (default: one per core).
        on_read: called with the read report once the dump is read.
        progress: called with the number of rows scored as partitions finish.
        read_options: column mapping and reading options of ``read_reviews``.

    Raises:
        EngineError: Dask is not installed, or the scheduler cannot be reached.
        OutputError: the folder exists (without ``overwrite``) or cannot be written.
        InputError: as :func:`koubei.read_reviews`.
    """
    distributed = require_distributed()
    target = Path(output_dir)
    check_target_dir(target, overwrite)
    remove_stale_temps(target)
    model_ref = str(Path(model_path).resolve()) if model_path else None
    taxonomy = load_model(model_ref).taxonomy  # fails here, not on the workers, when the bundle is bad
    rows = chunksize
    if partitions:
        total = count_rows(Path(input_path), input_format, read_options)
        rows = max(1, math.ceil(total / partitions))
    reader = open_reader(Path(input_path), input_format, rows, read_options)
    with atomic_dir(target) as tmp:
        with connect(distributed, scheduler, n_workers) as client:
            client.run(_warm, model_ref)
            counts, n_parts = _score_parts(distributed, client, reader, tmp, model_ref,
                                           batch_size, progress)
        _write_success(tmp, counts.rows, n_parts)
    if on_read:
        on_read(reader.report)
    return DatasetResult(target, n_parts, reader.report, counts.summary(taxonomy))


# --- on the workers --------------------------------------------------------------------------


def worker_model(model_ref: str | None) -> ReviewModel:
    """The model of this worker process, loaded on first use and kept."""
    with _MODELS_LOCK:
        if model_ref not in _MODELS:
            _MODELS[model_ref] = load_model(model_ref)
        return _MODELS[model_ref]


def _warm(model_ref: str | None) -> str:
    model = worker_model(model_ref)
    model.warm()  # both segmenters' dictionaries (rjieba never loads jieba's on 好吃 alone)
    model.predict(["好吃"])  # and the rest a first prediction builds, before the first partition
    return str(model.path)


def score_partition(frame: pd.DataFrame, index: int, folder: str, model_ref: str | None,
                    batch_size: int, schema: Any = None) -> tuple[SummaryCounts, Any]:
    """Score one canonical partition and write it as ``folder/part-INDEX.parquet``.

    Returns:
        The partition's summary counts and the schema it was written with
        (``schema``, or the one fixed from this partition when None).
    """
    import pyarrow.parquet as pq

    model = worker_model(model_ref)
    scored = model.score(frame, batch_size=batch_size, workers=1)
    table = arrow_table(scored)
    schema = schema if schema is not None else stream_schema(table)
    pq.write_table(conform(table, schema), Path(folder) / PART_NAME.format(index))
    return SummaryCounts.of(scored, model.taxonomy), schema


# --- on the client ---------------------------------------------------------------------------


def _score_parts(distributed: Any, client: Any, chunks: Iterator[pd.DataFrame] | ReviewReader
                 | DatasetReader, folder: Path, model_ref: str | None, batch_size: int,
                 progress: Callable[[int], None] | None) -> tuple[SummaryCounts, int]:
    """Submit the partitions, at most two per worker in flight; add up their counts."""
    counts, schema, n = SummaryCounts(), None, 0
    limit = IN_FLIGHT_PER_WORKER * max(1, len(client.scheduler_info().get("workers", {})))
    pending = distributed.as_completed()
    for frame in chunks:
        part = frame.copy(deep=False)
        part.attrs = {}
        data = client.scatter(part, hash=False)
        fut = client.submit(score_partition, data, n, str(folder), model_ref, batch_size, schema,
                            pure=False)
        n += 1
        if schema is None:  # the first partition fixes the schema of every other
            schema = _collect(fut, counts, progress)
            continue
        pending.add(fut)
        while pending.count() >= limit:
            _collect(next(pending), counts, progress)
    for fut in pending:
        _collect(fut, counts, progress)
    return counts, n


def _collect(fut: Any, counts: SummaryCounts, progress: Callable[[int], None] | None) -> Any:
    part_counts, schema = released_result(fut)
    counts.add(part_counts)
    if progress:
        progress(part_counts.scored)
    return schema


def _write_success(folder: Path, rows: int, partitions: int) -> None:
    from koubei.version import __version__

    marker = {"rows": rows, "partitions": partitions, "koubei": __version__}
    (folder / SUCCESS).write_text(json.dumps(marker) + "\n", encoding="utf-8")


# --- reading ---------------------------------------------------------------------------------


class DatasetReader:
    """The Parquet files of a folder read as one dump: one mapping, one annotator
    (ids and flags as if the files were one file), chunk indexes continuing.

    Args:
        folder: the folder.
        options: read options; keyword arguments override its fields.
    """

    def __init__(self, folder: Path, options: ReadOptions | None = None, **kwargs: Any) -> None:
        self.folder = folder
        self.options = make_options(options, **kwargs)
        self.report = ReadReport(path=str(folder), format="parquet")

    def __iter__(self) -> Iterator[pd.DataFrame]:
        opts = self.options
        now = resolve_now(opts.now, opts.tz)
        self.report = report = ReadReport(path=str(self.folder), format="parquet")
        canon, header, start = None, None, 0
        for path in parquet_files(self.folder):
            info, chunks = open_source(path, fmt="parquet", chunksize=opts.chunksize)
            for chunk in chunks:
                if canon is None:
                    header = list(chunk.columns)
                    canon = make_canonicalizer(header, chunk.head(500), opts, now, report)
                elif list(chunk.columns) != header:
                    raise InputFormatError(f"{path}: its columns differ from the first file's "
                                           f"({', '.join(map(str, header or []))})")
                chunk.index = pd.RangeIndex(start, start + len(chunk))
                start += len(chunk)
                yield canon.transform(chunk)
            report.notes.extend(info.all_notes())


def open_reader(path: Path, input_format: str | None, chunksize: int,
                read_options: dict[str, Any]) -> ReviewReader | DatasetReader:
    """A chunked reader of a dump file or of a folder of Parquet files."""
    if path.is_dir():
        return DatasetReader(path, chunksize=chunksize, **read_options)
    return ReviewReader(path, fmt=input_format, chunksize=chunksize, **read_options)


def count_rows(path: Path, input_format: str | None, read_options: dict[str, Any]) -> int:
    """Rows of a dump: from Parquet metadata, else by one pass over the raw records."""
    import pyarrow.parquet as pq

    if path.is_dir():
        return sum(pq.ParquetFile(p).metadata.num_rows for p in parquet_files(path))
    if detect_format(path, input_format) == "parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    keep = ("encoding", "sheet", "quoting", "no_header")
    _, chunks = open_source(path, fmt=input_format, chunksize=100_000,
                            **{k: v for k, v in read_options.items() if k in keep})
    return sum(len(c) for c in chunks)
