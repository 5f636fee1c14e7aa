"""Opening a review dump: check the path, tell format and encoding, pick a reader.

:func:`open_source` does every check that needs no parsing up front (missing
file, unknown format, encoding of the whole file), so those errors come
before the first chunk; parsing errors come while iterating. A text-format
name on a file whose bytes are a workbook (an ``.xlsx`` saved as ``.csv`` or
``.txt``), or a file with no extension or an unknown one holding a workbook,
is read as the workbook it is, with a note.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from koubei.errors import InputFormatError
from koubei.io.delimited import iter_delimited, quoting_mode
from koubei.io.encoding import settle_encoding
from koubei.io.excel import iter_xlsx
from koubei.io.formats import TEXT_FORMATS, binary_kind, check_input_path, detect_format, extension_format
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
    quoting: str = "standard",
    no_header: bool = False,
) -> tuple[RawInfo, Iterator[pd.DataFrame]]:
    """Check ``path`` and return its facts and an iterator of raw chunks.

    Args:
        path: the review dump.
        fmt: format name overriding the extension (``--input-format``).
        encoding: text encoding overriding detection (``--encoding``).
        sheet: Excel sheet name or 0-based index (``--sheet``).
        chunksize: rows per chunk.
        quoting: CSV/TSV quoting, ``standard`` or ``none`` (``--quoting``).
        no_header: the first row is data, not a header (``--no-header``).

    Returns:
        The :class:`RawInfo` (filled further while iterating) and the chunks.

    Raises:
        InputError: missing file, directory, unknown encoding or quoting name.
        InputFormatError: unknown format, empty file, a zip or old Excel file
            named as a text format.
        EncodingError: the file does not decode.
    """
    check_input_path(path)
    name = detect_format(path, fmt)
    if path.stat().st_size == 0:
        raise no_rows_error(path)
    quoting_mode(quoting)  # an unknown name is an error whatever the format
    notes: list[str] = []
    unnamed = not fmt and extension_format(path) is None  # told a workbook by its bytes alone
    if unnamed or (name in TEXT_FORMATS and _is_workbook(path, name)):
        name = "xlsx"
        notes.append(f"read as xlsx: the file is an Excel workbook despite its name {path.name!r}")
    info = RawInfo(path=path, format=name, notes=notes)
    for flag, value, formats in (
        ("--sheet", sheet is not None, ("xlsx",)),
        ("--quoting", quoting.strip().lower() != "standard", ("csv", "tsv")),
        ("--no-header", no_header, ("csv", "tsv", "xlsx")),
    ):
        if value and name not in formats:
            info.notes.append(f"{flag} is ignored for {name} files")
    if name in TEXT_FORMATS:
        choice = settle_encoding(path, encoding)
        info.encoding = choice.label
        if choice.detected and encoding is None and choice.codec == "gb18030":
            info.notes.append("read as gb18030 (GBK-compatible); pass --encoding to override")
        return info, _text_chunks(path, name, choice.codec, chunksize, info, quoting, no_header)
    if encoding:
        info.notes.append(f"--encoding is ignored for {name} files")
    if name == "xlsx":
        return info, iter_xlsx(path, sheet=sheet, chunksize=chunksize, info=info, header=not no_header)
    return info, iter_parquet(path, chunksize=chunksize, info=info)


def _is_workbook(path: Path, name: str) -> bool:
    """True for an ``.xlsx`` workbook; raise for other binary files a text reader would garble.

    Raises:
        InputFormatError: a zip archive that is no workbook, or an old ``.xls``
            (OLE) file, named as a text format.
    """
    kind = binary_kind(path)
    if kind == "ole":
        raise InputFormatError(
            f"{path}: is an old Excel .xls (or other Office) file, not {name} text; "
            "open it in Excel or WPS and save the sheet as .xlsx or .csv"
        )
    if kind == "zip":
        raise InputFormatError(
            f"{path}: is a zip archive, not {name} text; unzip it and pass the review file inside"
        )
    return kind == "xlsx"


def _text_chunks(
    path: Path,
    name: str,
    codec: str,
    chunksize: int,
    info: RawInfo,
    quoting: str,
    no_header: bool,
) -> Iterator[pd.DataFrame]:
    if name in ("csv", "tsv"):
        sep = "\t" if name == "tsv" else ","
        return iter_delimited(
            path, sep=sep, codec=codec, chunksize=chunksize, info=info,
            quoting=quoting, header=not no_header,
        )
    if name == "jsonl":
        return iter_jsonl(path, codec=codec, chunksize=chunksize, info=info)
    return iter_json(path, codec=codec, chunksize=chunksize, info=info)
