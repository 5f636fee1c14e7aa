"""Reading a scored file back (the output of ``koubei score``) for analysis.

Parquet keeps every dtype. CSV, TSV, JSON Lines, JSON and Excel come back as
text, so the columns ``score`` writes are restored here: ``time`` tz-aware,
``rating``/``sentiment_score`` float, ``is_complaint`` bool.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from koubei.errors import ColumnError, InputError, InputFormatError
from koubei.io.sources import open_source
from koubei.schema import DEFAULT_TZ, REQUIRED_SCORED_COLUMNS, topic_ids


def load_scored(path: str | Path, *, tz: str = DEFAULT_TZ, fmt: str | None = None) -> pd.DataFrame:
    """Read a file written by ``koubei score`` into a frame with its dtypes restored.

    ``path`` may also be a folder of Parquet parts (``koubei score --engine
    dask``), read with ``pyarrow.dataset`` in file-name order; files whose
    names start with ``.`` or ``_`` (``_SUCCESS``, temporary files) are left out.

    Args:
        path: the scored file or folder.
        tz: the time zone the ``time`` column is given in.
        fmt: the file's format when its extension does not tell.

    Raises:
        InputError: the file is missing or unreadable (naming the file), or
            the folder holds no readable Parquet part.
        ColumnError: the file lacks the columns ``score`` writes.
    """
    p = Path(path)
    if p.is_dir():
        return restore_scored(_load_parquet_folder(p), source=str(p), tz=tz)
    _, chunks = open_source(p, fmt=fmt)
    frame = pd.concat(list(chunks), ignore_index=True)
    return restore_scored(frame, source=str(p), tz=tz)


def _load_parquet_folder(folder: Path) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.dataset as ds

    from koubei.engines.cluster import parquet_files
    from koubei.io.parquet import nullable_type  # the dtypes a single Parquet file gets

    try:
        parts = parquet_files(folder)
    except InputError as e:
        raise InputError(f"{e}; pass a scored file or the folder `koubei score --engine dask` "
                         "wrote") from None
    try:
        table = ds.dataset([str(p) for p in parts], format="parquet").to_table()
    except (pa.ArrowException, OSError) as err:
        raise InputFormatError(f"{folder}: not a readable Parquet dataset ({err})") from None
    return table.to_pandas(types_mapper=nullable_type)


def restore_scored(frame: pd.DataFrame, *, source: str = "the frame",
                   tz: str = DEFAULT_TZ) -> pd.DataFrame:
    """Check a scored frame's columns and restore their dtypes (a copy)."""
    missing = [c for c in REQUIRED_SCORED_COLUMNS if c not in frame.columns]
    if missing:
        raise ColumnError(
            f"{source}: not a scored file, it lacks {', '.join(missing)}; "
            "score the dump first with `koubei score DUMP -o scored.parquet`"
        )
    if not topic_ids(frame):
        raise ColumnError(f"{source}: no topic_* columns; score the dump first with `koubei score`")
    out = frame.copy()
    if "time" in out.columns:
        out["time"] = _as_times(out["time"], tz, source)
    for col in ("rating", "sentiment_score"):
        if col in out.columns:
            out[col] = pd.to_numeric(out[col], errors="coerce")
    if "is_complaint" in out.columns and out["is_complaint"].dtype != bool:
        out["is_complaint"] = out["is_complaint"].astype(str).str.lower().isin(["true", "1"])
    for col in ("flags", "topics", "taste_detail", "opinions", "dimensions"):
        if col in out.columns:
            out[col] = out[col].fillna("").astype(str)
    return out


def _as_times(values: pd.Series, tz: str, source: str) -> pd.Series:
    """Times back from text: ISO with an offset as written by ``score``; naive ones are ``tz`` clock time."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert(tz)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return values.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    text = values.astype("string").str.strip().replace("", pd.NA)
    aware = text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True).fillna(False)
    out = pd.Series(pd.NaT, index=values.index, dtype=f"datetime64[ns, {tz}]")
    try:
        if aware.any():
            parsed = pd.to_datetime(text[aware], utc=True, errors="coerce", format="ISO8601")
            out[aware] = parsed.dt.tz_convert(tz)
        naive = ~aware & text.notna()
        if naive.any():
            local = pd.to_datetime(text[naive], errors="coerce", format="ISO8601")
            out[naive] = local.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    except (ValueError, TypeError) as e:
        raise InputFormatError(f"{source}: column time does not hold times ({e})") from e
    return out


def check_group_columns(frame: pd.DataFrame, by: list[str], source: str = "the scored file") -> None:
    """Every grouping column exists, else a ColumnError listing the ones there are."""
    missing = [c for c in by if c not in frame.columns]
    if missing:
        usable = [c for c in ("supplier", "product", "batch", "channel") if c in frame.columns]
        others = [c for c in frame.columns if c not in usable][:20]
        raise ColumnError(
            f"{source}: no column {', '.join(map(repr, missing))} to group by; "
            f"grouping columns there: {', '.join(usable) or '(none)'}; other columns: {', '.join(others)}"
        )
