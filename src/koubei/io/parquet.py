"""Parquet dumps, read batch by batch with pyarrow.

Unlike the text formats, Parquet columns keep their types (a timestamp
column stays a timestamp, integers become nullable ``Int64``): the file says
what they are, so nothing needs guessing. The canonical columns are derived
from them as from strings.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from koubei.errors import InputFormatError
from koubei.io.rawinfo import RawInfo, no_rows_error


def iter_parquet(path: Path, *, chunksize: int, info: RawInfo) -> Iterator[pd.DataFrame]:
    """Yield chunks of at most ``chunksize`` rows of a Parquet file.

    Raises:
        InputFormatError: not a readable Parquet file, or no rows.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        reader = pq.ParquetFile(path)
        total = 0
        for batch in reader.iter_batches(batch_size=chunksize):
            if batch.num_rows:
                total += batch.num_rows
                yield _to_pandas(batch)
    except (pa.ArrowException, OSError) as err:
        raise InputFormatError(
            f"{path}: not a readable Parquet file ({type(err).__name__}: {err})"
        ) from None
    if total == 0:
        raise no_rows_error(path)


def _to_pandas(batch: Any) -> pd.DataFrame:
    frame = batch.to_pandas(types_mapper=nullable_type)
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
    return frame


def nullable_type(arrow_type: Any) -> Any:
    """Integers and booleans as pandas' nullable dtypes (no float64 for a null)."""
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        return pd.api.types.pandas_dtype(
            str(arrow_type).replace("int", "Int").replace("uInt", "UInt")
        )
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None
