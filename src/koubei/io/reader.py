"""Reading review dumps into canonical frames: the public entry points.

``read_reviews(path, **options)`` reads a whole file; ``iter_reviews`` and
:class:`ReviewReader` yield it chunk by chunk with identical ids and flags
(the state lives in one :class:`~koubei.io.annotate.ReviewAnnotator`);
``canonicalize`` does the same for a frame or list of texts already in
memory. The options are the fields of :class:`ReadOptions`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields, replace
from itertools import chain
from pathlib import Path
from typing import Any

import pandas as pd

from koubei.errors import ColumnError, InputError, InputFormatError
from koubei.io.annotate import ReviewAnnotator, load_templates
from koubei.io.canonical import Canonicalizer
from koubei.io.columns import (
    MAPPABLE,
    ColumnMapping,
    header_as_data,
    load_synonyms,
    resolve_columns,
)
from koubei.io.excel import sheet_samples
from koubei.io.rawinfo import no_rows_error
from koubei.io.report import ReadReport
from koubei.io.sources import open_source
from koubei.io.timeparse import DEFAULT_TZ, resolve_now

_GUESS_ROWS = 500
#: formats whose first row may be a header or data (``no_header``)
_HEADER_FORMATS = frozenset({"csv", "tsv", "xlsx"})


@dataclass(frozen=True, kw_only=True)
class ReadOptions:
    """How to read a dump; every field is also a keyword of the read functions.

    Attributes:
        fmt: format name overriding the extension (``--input-format``).
        encoding: text encoding overriding detection (``--encoding``).
        sheet: Excel sheet name or 0-based index (``--sheet``).
        chunksize: rows per chunk when iterating.
        now: reference time for relative dates such as ``3天前`` (``--now``).
        tz: time zone of naive times and of the ``time`` column.
        text_col: source column of ``text`` (``--text-col``); detected if None.
        id_col: source column of ``review_id``.
        time_col: source column of ``time``.
        product_col: source column of ``product``.
        supplier_col: source column of ``supplier``.
        batch_col: source column of ``batch``.
        rating_col: source column of ``rating``.
        channel_col: source column of ``channel``.
        templates: a templates file instead of ``corpora/templates.txt``.
        synonyms: a header synonyms file instead of ``corpora/columns.yaml``.
        quoting: CSV/TSV quotes: ``standard``, or ``none`` to read ``"`` as a
            plain character (``--quoting``).
        no_header: the first row of a CSV/TSV/Excel file is data, not a
            header; columns are named 1, 2, ... (``--no-header``).
    """

    fmt: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    chunksize: int = 100_000
    now: str | dt.datetime | None = None
    tz: str = DEFAULT_TZ
    text_col: str | None = None
    id_col: str | None = None
    time_col: str | None = None
    product_col: str | None = None
    supplier_col: str | None = None
    batch_col: str | None = None
    rating_col: str | None = None
    channel_col: str | None = None
    templates: str | os.PathLike[str] | None = None
    synonyms: str | os.PathLike[str] | None = None
    quoting: str = "standard"
    no_header: bool = False

    def given_columns(self) -> dict[str, str | None]:
        """Canonical column → user-given source column (None when not given)."""
        given = {name: getattr(self, f"{name}_col", None) for name in MAPPABLE}
        given["review_id"] = self.id_col
        return given


def make_options(options: ReadOptions | None = None, **kwargs: Any) -> ReadOptions:
    """``options`` with ``kwargs`` applied on top (unknown names raise TypeError)."""
    known = {f.name for f in fields(ReadOptions)}
    unknown = sorted(set(kwargs) - known)
    if unknown:
        raise TypeError(f"unknown read option(s): {', '.join(unknown)}; known: {sorted(known)}")
    return replace(options or ReadOptions(), **kwargs)


class ReviewReader:
    """A review dump read chunk by chunk; :attr:`report` is complete after iterating.

    Args:
        path: the file.
        options: read options; keyword arguments override its fields.
    """

    def __init__(
        self, path: str | os.PathLike[str], options: ReadOptions | None = None, **kwargs: Any
    ) -> None:
        self.path = Path(path)
        self.options = make_options(options, **kwargs)
        self.report = ReadReport(path=str(self.path))

    def __iter__(self) -> Iterator[pd.DataFrame]:
        opts = self.options
        now = resolve_now(opts.now, opts.tz)
        self.report = report = ReadReport(path=str(self.path))
        info, chunks = open_source(
            self.path,
            fmt=opts.fmt,
            encoding=opts.encoding,
            sheet=opts.sheet,
            chunksize=opts.chunksize,
            quoting=opts.quoting,
            no_header=opts.no_header,
        )
        report.format, report.encoding = info.format, info.encoding
        try:
            first = next(chunks, None)
            if first is None:
                raise no_rows_error(self.path)
            header = list(first.columns)
            mapping = _mapping(header, first.head(_GUESS_ROWS), opts, report.path, info.repeated)
        except (ColumnError, InputFormatError) as err:
            if info.format == "xlsx" and opts.sheet is None:
                raise _sheet_error(self.path, err, opts) from None
            raise
        if info.format in _HEADER_FORMATS and not opts.no_header:
            _check_header(report.path, header, mapping)
        canon = _canonicalizer_of(mapping, opts, now, report)
        start = 0
        for chunk in chain([first], chunks):
            chunk.index = pd.RangeIndex(start, start + len(chunk))
            start += len(chunk)
            yield canon.transform(chunk)
        report.format = info.format
        report.short_rows = info.short_rows
        report.notes.extend(info.all_notes())


def make_canonicalizer(
    header: list[str],
    sample: pd.DataFrame,
    opts: ReadOptions,
    now: pd.Timestamp | None,
    report: ReadReport,
) -> Canonicalizer:
    """The canonicalizer of a dump whose header and first rows are these (columns mapped and
    recorded in ``report``); every chunk of the dump then goes through its ``transform``."""
    return _canonicalizer_of(_mapping(header, sample, opts, report.path), opts, now, report)


def _canonicalizer_of(
    mapping: ColumnMapping, opts: ReadOptions, now: pd.Timestamp | None, report: ReadReport
) -> Canonicalizer:
    _record_mapping(report, mapping)
    templates = load_templates(str(opts.templates)) if opts.templates else None
    return Canonicalizer(
        mapping, annotator=ReviewAnnotator(templates=templates), now=now, tz=opts.tz, report=report
    )


def _mapping(
    header: list[str],
    sample: pd.DataFrame,
    opts: ReadOptions,
    source: str,
    repeated: dict[str, list[str]] | None = None,
) -> ColumnMapping:
    synonyms = load_synonyms(str(opts.synonyms)) if opts.synonyms else None
    return resolve_columns(
        header,
        opts.given_columns(),
        sample=sample,
        synonyms=synonyms,
        source=source,
        repeated=repeated,
    )


def _check_header(path: str, header: list[str], mapping: ColumnMapping) -> None:
    """Raise when the header row looks like the first review of a file without one."""
    name = header_as_data(mapping)
    if name is None:
        return
    shown = name if len(name) <= 30 else name[:30] + "..."
    raise ColumnError(
        f"{path}: the first row looks like a review, not a header (column {header.index(name) + 1} "
        f"would be named {shown!r}), and that review would be lost; pass --no-header if the file "
        "has no header row (its columns are then named 1, 2, ...), or --text-col NAME if that row "
        "is the header"
    )


def _sheet_error(path: Path, err: InputError, opts: ReadOptions) -> InputError:
    """``err`` (about the first sheet) with the sheets of the workbook and which have a text column.

    A text column found from its header beats one guessed from the data.
    """
    found: list[tuple[str, str | None, bool]] = []  # sheet, text column, guessed
    for index, (name, header, sample) in enumerate(sheet_samples(path, _GUESS_ROWS)):
        column, guessed = None, False
        if index and sample is not None:
            try:
                mapping = _mapping(header, sample, opts, str(path))
            except ColumnError:
                mapping = ColumnMapping()
            column, guessed = mapping.columns.get("text"), "text" in mapping.guessed
        found.append((name, column, guessed))
    if len(found) < 2:
        return err
    listed = ", ".join(
        repr(name)
        + (" (read: the first sheet)" if i == 0 else "")
        + (f" (text column {'guessed: ' if guessed else ''}{col!r})" if col else "")
        for i, (name, col, guessed) in enumerate(found)
    )
    hits = sorted((guessed, i) for i, (_, col, guessed) in enumerate(found) if col)
    if not hits:
        return type(err)(f"{err}; no other sheet has a text column either (sheets: {listed})")
    name, column, _ = found[hits[0][1]]
    return type(err)(
        f"{path}: the first sheet {found[0][0]!r} has no review text column koubei can tell, "
        f"but sheet {name!r} has one ({column!r}); pass --sheet {_shell_word(name)} "
        f"(the workbook's sheets: {listed})"
    )


def _record_mapping(report: ReadReport, mapping: ColumnMapping) -> None:
    report.mapping = dict(mapping.columns)
    report.auto_detected = list(mapping.auto_detected)
    report.guessed = list(mapping.guessed)
    report.notes.extend(mapping.notes)


def iter_reviews(
    path: str | os.PathLike[str], options: ReadOptions | None = None, **kwargs: Any
) -> Iterator[pd.DataFrame]:
    """Yield canonical chunks of ``path`` (``chunksize`` rows each).

    Chunk indexes continue from one chunk to the next (0..n-1 over the file).
    Use :class:`ReviewReader` directly to get the report after iterating.

    Args:
        path: the file.
        options: a :class:`ReadOptions`; keyword arguments (its field names,
            ``chunksize`` among them) override it.

    Raises:
        InputError: and its subclasses, as :func:`read_reviews`.
    """
    return iter(ReviewReader(path, options, **kwargs))


def read_reviews_with_report(
    path: str | os.PathLike[str], options: ReadOptions | None = None, **kwargs: Any
) -> tuple[pd.DataFrame, ReadReport]:
    """Read a whole dump; return the canonical frame and the report.

    Raises:
        InputError: missing file or directory; InputFormatError: unknown
            format, empty file, ragged rows, corrupt workbook/Parquet;
            EncodingError: the bytes do not decode; ColumnError: a column
            is missing or the text column cannot be told.
    """
    reader = ReviewReader(path, options, **kwargs)
    chunks = list(reader)
    frame = chunks[0] if len(chunks) == 1 else pd.concat(chunks)
    frame.attrs["read_report"] = reader.report
    return frame, reader.report


def read_reviews(
    path: str | os.PathLike[str], options: ReadOptions | None = None, **kwargs: Any
) -> pd.DataFrame:
    """Read a review dump (CSV, TSV, JSON Lines, JSON, Excel, Parquet).

    Args:
        path: the file.
        options: a :class:`ReadOptions`; keyword arguments (its field names,
            e.g. ``text_col="评论内容"``, ``now="2024-05-01"``) override it.

    Returns:
        The source columns plus the canonical ones (see
        :mod:`koubei.io.canonical`); the :class:`ReadReport` is in
        ``frame.attrs["read_report"]``.

    Raises:
        InputError: see :func:`read_reviews_with_report`.
    """
    return read_reviews_with_report(path, options, **kwargs)[0]


def canonicalize(
    data: pd.DataFrame | pd.Series | Sequence[str],
    options: ReadOptions | None = None,
    *,
    source: str = "<memory>",
    **kwargs: Any,
) -> pd.DataFrame:
    """Canonical columns for data already in memory (keeps its index).

    Args:
        data: a frame with a text column, or a Series / list of texts.
        options: read options (only columns, ``now``, ``tz``, templates matter).
        source: the name used in messages and the report.

    Returns:
        The canonical frame, with the report in ``attrs["read_report"]``.

    Raises:
        ColumnError: a column is missing, the text column cannot be told, or
            column names repeat.
        InputError: ``now`` is not a date.
    """
    opts = make_options(options, **kwargs)
    frame = _as_frame(data)
    report = ReadReport(path=source, format="dataframe")
    now = resolve_now(opts.now, opts.tz)
    header = [str(c) for c in frame.columns]
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise ColumnError(f"{source}: repeated column names {repeated}; rename them first")
    frame = frame.set_axis(header, axis=1)
    canon = make_canonicalizer(header, frame.head(_GUESS_ROWS), opts, now, report)
    out = canon.transform(frame)
    out.attrs["read_report"] = report
    return out


def _as_frame(data: pd.DataFrame | pd.Series | Sequence[str]) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return pd.DataFrame({"text": data})
    if isinstance(data, str):
        raise TypeError("canonicalize() takes a list of texts, not one string; wrap it in [...]")
    return pd.DataFrame({"text": list(data)})


def _shell_word(name: str) -> str:
    """``name`` as a shell reads it back: quoted only when it holds spaces or shell characters
    (a sheet named 评价明细 stays as it is, one named "11月 评价" is quoted)."""
    return name if re.fullmatch(r"[^\s'\"$`\\;&|<>()*?!#~{}\[\]]+", name) else shlex.quote(name)
