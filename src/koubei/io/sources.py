"""Opening a review dump: check the path, tell format and encoding, pick a reader.

:func:`open_source` does every check that needs no parsing up front (missing
file, unknown format, encoding of the whole file), so those errors come
before the first chunk; parsing errors come while iterating.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from koubei.io.delimited import iter_delimited
from koubei.io.encoding import settle_encoding
from koubei.io.excel import iter_xlsx
from koubei.io.formats import TEXT_FORMATS, check_input_path, detect_format
from koubei.io.jsonfmt import iter_json, iter_jsonl
from koubei.io.parquet import iter_parquet
from koubei.io.rawinfo import RawInfo, no_rows_error


def open_source(
    path: Path,
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    chunksize: int = 100_000,
) -> tuple[RawInfo, Iterator[pd.DataFrame]]:
    """Check ``path`` and return its facts and an iterator of raw chunks.

    Args:
        path: the review dump.
        fmt: format name overriding the extension (``--format``).
        encoding: text encoding overriding detection (``--encoding``).
        sheet: Excel sheet name or 0-based index (``--sheet``).
        chunksize: rows per chunk.

    Returns:
        The :class:`RawInfo` (filled further while iterating) and the chunks.

    Raises:
        InputError: missing file, directory, unknown encoding name.
        InputFormatError: unknown format, empty file.
        EncodingError: the file does not decode.
    """
    check_input_path(path)
    name = detect_format(path, fmt)
    if path.stat().st_size == 0:
        raise no_rows_error(path)
    info = RawInfo(path=path, format=name)
    if sheet is not None and name != "xlsx":
        info.notes.append(f"--sheet is ignored for {name} files")
    if name in TEXT_FORMATS:
        choice = settle_encoding(path, encoding)
        info.encoding = choice.label
        if choice.detected and encoding is None and choice.codec == "gb18030":
            info.notes.append("read as gb18030 (GBK-compatible); pass --encoding to override")
        return info, _text_chunks(path, name, choice.codec, chunksize, info)
    if encoding:
        info.notes.append(f"--encoding is ignored for {name} files")
    if name == "xlsx":
        return info, iter_xlsx(path, sheet=sheet, chunksize=chunksize, info=info)
    return info, iter_parquet(path, chunksize=chunksize, info=info)


def _text_chunks(
    path: Path, name: str, codec: str, chunksize: int, info: RawInfo
) -> Iterator[pd.DataFrame]:
    if name in ("csv", "tsv"):
        sep = "\t" if name == "tsv" else ","
        return iter_delimited(path, sep=sep, codec=codec, chunksize=chunksize, info=info)
    if name == "jsonl":
        return iter_jsonl(path, codec=codec, chunksize=chunksize, info=info)
    return iter_json(path, codec=codec, chunksize=chunksize, info=info)
