"""Reading review dumps into canonical frames, and writing result tables.

Reading::

    from koubei.io import read_reviews
    df = read_reviews("reviews.xlsx", text_col="评论内容", now="2024-05-01")
    df.attrs["read_report"].summary_lines()

Formats (by extension or ``fmt=``): CSV, TSV, JSON Lines, JSON arrays,
Excel ``.xlsx``, Parquet. Text files are UTF-8 (BOM or not) or GB18030/GBK,
detected or given with ``encoding=``. Canonical columns (``text``,
``review_id``, ``time``, ``product``, ``supplier``, ``batch``, ``channel``,
``rating``, ``status``, ``flags``) are appended to the source columns; rows
are never dropped. See :mod:`koubei.io.canonical` for the columns and
:mod:`koubei.io.annotate` for ids and flags.

Writing: :func:`write_table` (atomic; CSV with BOM, Parquet, JSON Lines,
Excel with formula-safe text).
"""

from typing import TYPE_CHECKING

from koubei._lazy import lazy_exports
from koubei.schema import CANONICAL_COLUMNS, FLAGS

if TYPE_CHECKING:
    from koubei.io.annotate import ReviewAnnotator, TemplateMatcher, load_templates
    from koubei.io.columns import ColumnMapping, load_synonyms, resolve_columns
    from koubei.io.formats import FORMATS, detect_format
    from koubei.io.reader import (
        ReadOptions,
        ReviewReader,
        canonicalize,
        iter_reviews,
        read_reviews,
        read_reviews_with_report,
    )
    from koubei.io.report import ReadReport
    from koubei.io.timeparse import DEFAULT_TZ, parse_times, resolve_now
    from koubei.io.writers import WRITE_FORMATS, check_output, write_table

__getattr__ = lazy_exports(__name__, {
    **dict.fromkeys(("ReviewAnnotator", "TemplateMatcher", "load_templates"), "koubei.io.annotate"),
    **dict.fromkeys(("ColumnMapping", "load_synonyms", "resolve_columns"), "koubei.io.columns"),
    **dict.fromkeys(("FORMATS", "detect_format"), "koubei.io.formats"),
    **dict.fromkeys(("ReadOptions", "ReviewReader", "canonicalize", "iter_reviews", "read_reviews",
                     "read_reviews_with_report"), "koubei.io.reader"),
    "ReadReport": "koubei.io.report",
    **dict.fromkeys(("DEFAULT_TZ", "parse_times", "resolve_now"), "koubei.io.timeparse"),
    **dict.fromkeys(("WRITE_FORMATS", "check_output", "write_table"), "koubei.io.writers"),
})

__all__ = [
    "CANONICAL_COLUMNS",
    "DEFAULT_TZ",
    "FLAGS",
    "FORMATS",
    "WRITE_FORMATS",
    "ColumnMapping",
    "ReadOptions",
    "ReadReport",
    "ReviewAnnotator",
    "ReviewReader",
    "TemplateMatcher",
    "canonicalize",
    "check_output",
    "detect_format",
    "iter_reviews",
    "load_synonyms",
    "load_templates",
    "parse_times",
    "read_reviews",
    "read_reviews_with_report",
    "resolve_columns",
    "resolve_now",
    "write_table",
]
