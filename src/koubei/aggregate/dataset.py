"""Aggregating a partitioned Parquet dataset on Dask's distributed scheduler.

    from koubei.aggregate.dataset import aggregate_dataset
    aggregate_dataset("scored/", "summary.xlsx", by=["supplier"], freq="W",
                      scheduler="tcp://10.0.0.5:8786")

Each Parquet part of the folder (``koubei score --engine dask`` writes one
per partition) is one task: a worker reads only the columns the table needs,
restores them as :func:`koubei.aggregate.load_scored` does and counts them
with :func:`koubei.aggregate.partial.count_partition`, the code
:func:`koubei.aggregate.aggregate` runs on a whole frame. Only the per-group
sums come back; the client adds them up as they arrive and finishes them
into the same table as ``--engine local``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from itertools import accumulate
from pathlib import Path
from typing import Any

import pandas as pd

from koubei.aggregate.combine import finish, no_time_column
from koubei.aggregate.partial import PartialCounts, count_partition
from koubei.aggregate.scored import check_group_columns, restore_scored
from koubei.aggregate.table import AggregateResult, count_groups, prepare_scored, report_of
from koubei.aggregate.windows import Freq, parse_freq
from koubei.errors import InputError, InputFormatError
from koubei.io import write_table
from koubei.io.writers import check_output
from koubei.schema import DEFAULT_TZ, REQUIRED_SCORED_COLUMNS, TOPIC_PREFIX
from koubei.taxonomy import Taxonomy, load_taxonomy

#: the columns the table reads besides ``REQUIRED_SCORED_COLUMNS``, the topics and the ``--by`` columns
OPTIONAL = ("time", "rating", "sentiment_score", "is_complaint", "taste_detail", "opinions")


def aggregate_dataset(
    input: str | Path, output: str | Path, *, by: Sequence[str] = (),
    freq: str | Freq | None = None, fmt: str | None = None, overwrite: bool = False,
    tz: str = DEFAULT_TZ, rating_scale: int | None = None, top_opinions: int = 5,
    taxonomy: Taxonomy | None = None, scheduler: str | None = None, n_workers: int | None = None,
    raw: bool = False,
) -> AggregateResult:
    """:func:`koubei.aggregate.aggregate_file` of a Parquet dataset folder, counted on Dask.

    The arguments not listed below are those of :func:`koubei.aggregate.aggregate_file`.

    Args:
        input: a folder of Parquet parts (``koubei score --engine dask``), on a
            file system every worker sees at the same path.
        scheduler: address of a running scheduler; None starts a local cluster
            of ``n_workers`` processes (default: one per core) for the call.

    Raises:
        EngineError: Dask is not installed, or the scheduler cannot be reached.
        OutputError: as :func:`koubei.aggregate.aggregate_file`.
        InputError: not a folder of Parquet parts, not scored, or as :func:`koubei.aggregate.aggregate`.
    """
    from koubei.engines.cluster import connect, released_result, require_distributed

    distributed = require_distributed()
    f = parse_freq(freq) if freq is not None else None
    name = check_output(output, fmt, overwrite=overwrite)
    source = str(input)
    files, schema, offsets = dataset_parts(input)
    by = list(dict.fromkeys(by))
    columns = _check_columns(schema, by, f, tz, source)
    tax = taxonomy or load_taxonomy()
    with connect(distributed, scheduler, n_workers) as client:
        futures = client.map(count_file, [str(p) for p in files], offsets, columns=columns,
                             schema=schema, by=by, freq=f, taxonomy=tax, opinions=top_opinions > 0,
                             tz=tz, source=source, pure=False)
        total = reduce(lambda a, b: a.add(b, tax.direction_ids),
                       (released_result(fut) for fut in distributed.as_completed(futures)))
    table, scale = finish(total, by=by, freq=f, top_opinions=top_opinions, rating_scale=rating_scale,
                          source=source)
    report = report_of(total, scale)
    count_groups(report, table, by)
    path = write_table(table, output, name, overwrite=overwrite, sheet_name="summary", raw=raw)
    return AggregateResult(output=path, table=table, report=report)


def count_file(path: str, first_row: int, *, columns: list[str], schema: Any, by: list[str],
               freq: Freq | None, taxonomy: Taxonomy, opinions: bool, tz: str,
               source: str) -> PartialCounts:
    """On a worker: the counts of one Parquet part (``first_row``: its first row's position)."""
    scored = prepare_scored(read_part(path, columns=columns, schema=schema, tz=tz, source=source), source)
    return count_partition(scored, by=by, freq=freq, taxonomy=taxonomy, opinions=opinions,
                           first_row=first_row)


def read_part(path: str, *, columns: list[str], schema: Any, tz: str, source: str) -> pd.DataFrame:
    """On a worker: ``columns`` of one Parquet part, restored as :func:`koubei.aggregate.load_scored` does.

    Raises:
        InputFormatError: the part cannot be read (naming it).
    """
    import pyarrow as pa
    import pyarrow.dataset as ds

    from koubei.io.parquet import nullable_type

    try:
        table = ds.dataset(path, format="parquet", schema=schema).to_table(columns=columns)
    except (pa.ArrowException, OSError) as err:
        raise InputFormatError(f"{path}: not a readable Parquet part ({err})") from None
    return restore_scored(table.to_pandas(types_mapper=nullable_type), source=source, tz=tz)


def dataset_parts(input: str | Path) -> tuple[list[Path], Any, list[int]]:
    """The Parquet parts of a dataset folder, its schema and each part's first row.

    Raises:
        InputError: not a folder, or no Parquet part in it.
        InputFormatError: a part that cannot be read.
    """
    from koubei.engines.cluster import parquet_files

    folder, source = Path(input), str(input)
    if not folder.is_dir():
        raise InputError(f"{source}: --engine dask reads a folder of Parquet parts (what `koubei score "
                         "--engine dask` writes); for a single file use --engine local")
    files = parquet_files(folder)
    schema, offsets = _layout(files, source)
    return files, schema, offsets


def _layout(files: list[Path], source: str) -> tuple[Any, list[int]]:
    """The dataset's schema (its first part's, as ``pyarrow.dataset`` takes it) and each part's first row."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema, sizes = None, []
    for path in files:
        try:
            part = pq.ParquetFile(path)
            names = part.schema_arrow.names
        except (pa.ArrowException, OSError) as err:
            raise InputFormatError(f"{path}: not a readable Parquet part of {source} ({err}); remove it "
                                   "or score the dump again") from None
        schema = schema if schema is not None else pq.read_schema(path)
        missing = [c for c in schema.names if c not in names]
        if missing:
            raise InputFormatError(f"{path}: lacks {', '.join(missing[:5])}, which {files[0].name} has; the "
                                   f"parts of {source} must share one schema (score the dump again)")
        sizes.append(part.metadata.num_rows)
    return schema, [0, *accumulate(sizes)][:-1]


def _check_columns(schema: Any, by: list[str], f: Freq | None, tz: str, source: str) -> list[str]:
    """The columns to read, after the checks a whole-frame run makes on them."""
    from koubei.io.parquet import nullable_type

    empty = schema.empty_table().to_pandas(types_mapper=nullable_type)
    restore_scored(empty, source=source, tz=tz)
    check_group_columns(empty, by, source)
    if f is not None and "time" not in empty:
        raise no_time_column(source)
    wanted = {*REQUIRED_SCORED_COLUMNS, *OPTIONAL, *by}
    return [c for c in schema.names if c in wanted or c.startswith(TOPIC_PREFIX)]
