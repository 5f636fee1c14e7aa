"""Batch scoring of a review dump: read → score → write, as one library call.

The CLI's ``koubei score`` is a thin skin over :func:`score_file`.

Outputs that can be appended (Parquet, CSV, TSV, JSON Lines) are written as
a stream: the dump is read ``chunksize`` rows at a time
(:func:`koubei.io.iter_reviews`, whose ids and flags equal a whole-file
read), each chunk is scored (one pool of worker processes kept for the whole
run; with several workers, a helper thread reads the next chunk and writes
the last while they score this one) and appended to a hidden temporary file beside the target, and the
temporary file is moved onto the target only when the last chunk is written.
Memory is bounded by the chunk size, not the dump. A run killed midway
leaves only ``.NAME.XXXXXXXX.tmp`` (no Parquet footer, not the target's
name); the next run for the same target removes it. Excel and JSON arrays
cannot be appended and are scored in memory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

import pandas as pd

from koubei.errors import OutputError
from koubei.io import ReadReport, ReviewReader, read_reviews_with_report, write_table
from koubei.io.cells import spreadsheet_cells
from koubei.io.writers import atomic_write, check_output, remove_stale_temps
from koubei.model.parallel import gc_paused, keep_workers
from koubei.model.review_model import ReviewModel, load_model
from koubei.schema import CANONICAL_COLUMNS
from koubei.scoring.defaults import DEFAULT_CHUNKSIZE, STREAM_FORMATS
from koubei.scoring.headline import HeadlineCounts, by_count
from koubei.taxonomy import Taxonomy


@dataclass
class ScoreSummary:
    """What a scoring run did, for the terminal and for tests.

    ``rows``, ``scored``, ``counted``, ``left_out``, ``sentiment``, ``complaints`` and
    ``top_complaints`` are :class:`koubei.scoring.headline.HeadlineCounts`'s, the
    figures ``koubei report`` heads its page with: sentiment, complaints and topics are
    of the counted rows (scored, not templated, not a duplicate or near duplicate).
    """

    rows: int
    scored: int
    counted: int = 0
    left_out: dict[str, int] = field(default_factory=dict)
    flagged: dict[str, int] = field(default_factory=dict)
    sentiment: dict[str, int] = field(default_factory=dict)
    complaints: int = 0
    top_complaints: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass
class ScoreResult:
    """What :func:`score_file` wrote.

    Attributes:
        output: the file written.
        read_report: what was read (column mapping, encoding, row statuses, flags).
        summary: the counts ``koubei score`` prints.
    """

    output: Path
    read_report: ReadReport
    summary: ScoreSummary


@dataclass
class SummaryCounts:
    """The counts behind a :class:`ScoreSummary`, added up chunk by chunk (or partition)."""

    head: HeadlineCounts = field(default_factory=HeadlineCounts)
    flagged: Counter[str] = field(default_factory=Counter)

    @property
    def rows(self) -> int:
        """Rows counted so far."""
        return self.head.rows

    @property
    def scored(self) -> int:
        """Rows scored so far (what a progress bar advances by)."""
        return self.head.scored

    @classmethod
    def of(cls, scored: pd.DataFrame, taxonomy: Taxonomy) -> SummaryCounts:
        """The counts of one scored frame."""
        flagged: Counter[str] = Counter()
        for value, n in scored["flags"].fillna("").astype(str).value_counts().items():
            for flag in str(value).split(";"):  # per distinct flags string, not per row
                if flag:
                    flagged[flag] += int(n)
        return cls(head=HeadlineCounts.of(scored), flagged=flagged)

    def add(self, other: SummaryCounts) -> SummaryCounts:
        """Add ``other`` into this one; returns self."""
        self.head.add(other.head)
        self.flagged.update(other.flagged)
        return self

    def summary(self, taxonomy: Taxonomy, *, top: int = 5) -> ScoreSummary:
        """The summary: dicts by decreasing count, top complaint topics in taxonomy order on ties."""
        h = self.head
        topics = [(t.id, t.zh, h.topic_neg[t.id]) for t in taxonomy.topics if h.topic_neg[t.id]]
        topics.sort(key=lambda x: -x[2])
        return ScoreSummary(rows=h.rows, scored=h.scored, counted=h.counted, left_out=h.left_out_by_count(),
                            flagged=by_count(self.flagged), sentiment=by_count(h.sentiment),
                            complaints=h.complaints, top_complaints=topics[:top])


def summarize(scored: pd.DataFrame, taxonomy: Taxonomy, *, top: int = 5) -> ScoreSummary:
    """Counts of a scored frame: skipped rows by reason, sentiment split, top complaints."""
    return SummaryCounts.of(scored, taxonomy).summary(taxonomy, top=top)


def score_file(input_path: str | Path, output: str | Path, *, model: ReviewModel | None = None,
               model_path: str | Path | None = None, fmt: str | None = None,
               input_format: str | None = None,
               overwrite: bool = False, batch_size: int = 2000, workers: int = 1,
               chunksize: int | None = DEFAULT_CHUNKSIZE, raw: bool = False,
               on_read: Callable[[ReadReport], None] | None = None,
               on_start: Callable[[ReadReport], None] | None = None,
               progress: Callable[[int], None] | None = None, **read_options: Any) -> ScoreResult:
    """Read a dump, score every row and write the result atomically.

    Args:
        input_path: the review dump (see :func:`koubei.read_reviews`).
        output: the file to write; its format from ``fmt`` or the extension.
        input_format: the input's format when its extension does not tell.
        model: a loaded model; else ``model_path`` or the bundled default is loaded.
        workers: processes scoring batches in parallel.
        chunksize: rows read, scored and written at a time for Parquet, CSV,
            TSV and JSON Lines outputs; None or 0 scores the whole dump in
            memory (always so for Excel and JSON). The output is the same.
        on_read: called with the read report once the whole file is read.
        on_start: streaming only: called with the (partial) read report once
            the first chunk is read, before it is scored.
        progress: called with the number of rows scored after each batch.
        raw: CSV/TSV cells as they are; by default formula-like text gets a
            leading apostrophe (:mod:`koubei.io.cells`).
        read_options: column mapping and reading options of ``read_reviews``.

    Raises:
        OutputError: the output cannot be written, or a source column changes
            type between chunks (Parquet).
        InputError: as :func:`koubei.read_reviews`.
    """
    name = check_output(output, fmt, overwrite=overwrite)
    remove_stale_temps(Path(output))
    model = model or load_model(model_path)
    if chunksize and name in STREAM_FORMATS:
        reader = ReviewReader(input_path, fmt=input_format, chunksize=chunksize, **read_options)
        return _score_stream(reader, Path(output), name, model, batch_size=batch_size,
                             workers=workers, on_read=on_read, on_start=on_start, progress=progress,
                             raw=raw)
    frame, report = read_reviews_with_report(input_path, fmt=input_format, **read_options)
    if on_read:
        on_read(report)
    scored = model.score(frame, batch_size=batch_size, workers=workers, progress=progress)
    path = write_table(scored, output, fmt, overwrite=overwrite, raw=raw)
    return ScoreResult(output=path, read_report=report, summary=summarize(scored, model.taxonomy))


def _score_stream(reader: ReviewReader, target: Path, fmt: str, model: ReviewModel, *,
                  batch_size: int, workers: int, on_read: Callable[[ReadReport], None] | None,
                  on_start: Callable[[ReadReport], None] | None,
                  progress: Callable[[int], None] | None, raw: bool = False) -> ScoreResult:
    counts = SummaryCounts()

    def score(chunk: pd.DataFrame) -> pd.DataFrame:
        with gc_paused():  # a chunk's objects are many and short-lived (see gc_paused)
            return model.score(chunk, batch_size=batch_size, workers=workers, progress=progress)

    def write(tmp: Path) -> None:
        with keep_workers(model, workers), open_sink(tmp, fmt, raw=raw) as sink:
            def put(scored: pd.DataFrame) -> None:
                sink.write(scored)
                counts.add(SummaryCounts.of(scored, model.taxonomy))

            chunks = iter(reader)
            first = next(chunks, None)
            if first is None:
                return
            if on_start:
                on_start(reader.report)
            score_in_order(chain([first], chunks), score, put, overlap=workers > 1)

    atomic_write(target, write)
    if on_read:
        on_read(reader.report)
    return ScoreResult(output=target, read_report=reader.report, summary=counts.summary(model.taxonomy))


def score_in_order(chunks: Iterator[pd.DataFrame], score: Callable[[pd.DataFrame], pd.DataFrame],
                   put: Callable[[pd.DataFrame], None], *, overlap: bool) -> None:
    """``put(score(chunk))`` for each chunk, in order.

    With ``overlap`` (worker processes do the scoring), one helper thread reads
    the next chunk and puts the last result while this chunk is scored, so the
    workers do not wait for reading, annotating and writing. Errors surface in
    the same order as without it.
    """
    if not overlap:
        for chunk in chunks:
            put(score(chunk))
        return
    with ThreadPoolExecutor(1, thread_name_prefix="koubei-io") as io:
        reading = io.submit(next, chunks, None)
        writing: Future[None] | None = None
        while (chunk := reading.result()) is not None:
            reading = io.submit(next, chunks, None)
            scored = score(chunk)
            if writing is not None:
                writing.result()
            writing = io.submit(put, scored)
            del scored  # the put task holds it until written, not this loop while it scores the next
        if writing is not None:
            writing.result()


# --- chunk sinks -----------------------------------------------------------------------------


class ParquetSink:
    """Row groups appended to one Parquet file, under one schema fixed by the first chunk.

    See :func:`stream_schema` for how the schema is fixed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: Any = None
        self.schema: Any = None

    def write(self, frame: pd.DataFrame) -> None:
        import pyarrow.parquet as pq

        table = arrow_table(frame)
        if self._writer is None:
            self.schema = stream_schema(table)
            self._writer = pq.ParquetWriter(self.path, self.schema)
        self._writer.write_table(conform(table, self.schema))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def __enter__(self) -> ParquetSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TextSink:
    """Chunks appended to a CSV/TSV (UTF-8 with BOM, one header) or JSON Lines file,
    byte for byte what :func:`koubei.io.write_table` writes for the whole table
    (formula-like CSV/TSV text defused the same way, unless ``raw``)."""

    def __init__(self, path: Path, fmt: str, raw: bool = False) -> None:
        self.path, self.fmt, self.raw, self._first = path, fmt, raw, True

    def write(self, frame: pd.DataFrame) -> None:
        df = spreadsheet_cells(_without_attrs(frame), self.fmt, raw=self.raw)
        mode = "w" if self._first else "a"
        if self.fmt == "jsonl":
            df.to_json(self.path, orient="records", lines=True, force_ascii=False,
                       date_format="iso", mode=mode)
        else:
            df.to_csv(self.path, index=False, sep="\t" if self.fmt == "tsv" else ",",
                      header=self._first, mode=mode,
                      encoding="utf-8-sig" if self._first else "utf-8")
        self._first = False

    def __enter__(self) -> TextSink:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def open_sink(path: Path, fmt: str, *, raw: bool = False) -> ParquetSink | TextSink:
    """A sink appending scored chunks to ``path`` in ``fmt`` (one of :data:`STREAM_FORMATS`)."""
    return ParquetSink(path) if fmt == "parquet" else TextSink(path, fmt, raw)


def _without_attrs(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy(deep=False)
    out.attrs = {}
    return out


def arrow_table(frame: pd.DataFrame) -> Any:
    """``frame`` as a pyarrow Table, without its index and ``attrs`` (as ``DataFrame.to_parquet``)."""
    import pyarrow as pa

    try:
        return pa.Table.from_pandas(_without_attrs(frame), preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        raise OutputError(
            f"cannot store the table as Parquet ({err}); a column mixes types: "
            "convert it with .astype(str), or write .csv"
        ) from None


def stream_schema(first: Any) -> Any:
    """The schema every chunk is cast to, from the first chunk's table.

    Strings are ``large_string`` (pandas' own choice). A source column that
    is all-null in the first chunk (``null`` type) becomes ``large_string``, so
    later chunks with text in it fit; the canonical columns keep their type
    (an unmapped ``supplier`` is null in every chunk, as in memory).
    """
    import pyarrow as pa

    fields = []
    for f in first.schema:
        if pa.types.is_string(f.type) or (pa.types.is_null(f.type) and f.name not in CANONICAL_COLUMNS):
            f = f.with_type(pa.large_string())
        fields.append(f)
    return pa.schema(fields, metadata=first.schema.metadata)


def conform(table: Any, schema: Any) -> Any:
    """``table`` cast to ``schema``.

    Raises:
        OutputError: a column's values do not fit the type fixed by the first chunk.
    """
    import pyarrow as pa

    if table.schema.equals(schema, check_metadata=False):
        return table.replace_schema_metadata(schema.metadata)
    try:
        return table.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, ValueError) as err:
        changed = [f"{f.name} ({schema.field(f.name).type} then {f.type})" for f in table.schema
                   if f.name in schema.names and not f.type.equals(schema.field(f.name).type)]
        raise OutputError(
            f"a column changes type from one chunk to the next: {', '.join(changed) or err}; "
            "convert it in the dump, or pass --chunksize 0 to score in memory"
        ) from None
