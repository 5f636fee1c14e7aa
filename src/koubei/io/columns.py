"""Which source column feeds each canonical column (``text``, ``time``, ...).

Columns the user names (``text_col=`` / ``--text-col``) are taken as given;
the others are found from the header with the synonym tiers of
``corpora/columns.yaml`` (its comment explains the matching steps). When no
header looks like a text column, a column holding mostly longer Chinese
strings is taken as a *guess*, and reported as one. A column whose header
name repeats (two ``评论内容`` columns, read as ``评论内容`` and ``评论内容.1``)
is never picked by detection: that is the same error as two matching names.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from koubei.errors import ColumnError, InputFormatError
from koubei.resources import corpora_path

#: Canonical columns a source column can be mapped to, in resolution order.
MAPPABLE: tuple[str, ...] = (
    "text",
    "review_id",
    "time",
    "product",
    "supplier",
    "batch",
    "rating",
    "channel",
)

_KEY_RE = re.compile(r"[\s_\-.·]+")
_CJK_RE = re.compile(r"[\u3400-\u9fff]")
_GUESS_MIN_LEN = 8
_GUESS_SAMPLE = 500
_LISTED = 30

Tiers = list[list[str]]


@dataclass
class ColumnMapping:
    """The columns used, and how each was found.

    Attributes:
        columns: canonical name → source column name.
        auto_detected: canonical names found from the header (not given).
        guessed: canonical names picked from the data (a guess; check them).
        notes: remarks on ambiguous or loosely matched columns.
    """

    columns: dict[str, str] = field(default_factory=dict)
    auto_detected: list[str] = field(default_factory=list)
    guessed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def option_name(canonical: str) -> str:
    """The CLI option naming the source of a canonical column (``--text-col``)."""
    return "--id-col" if canonical == "review_id" else f"--{canonical}-col"


@cache
def load_synonyms(path: str | None = None) -> dict[str, Tiers]:
    """Synonym tiers per canonical column from ``columns.yaml``.

    Args:
        path: a YAML file of the same shape; None for the shipped one.

    Raises:
        InputFormatError: the file is not a mapping of column → names.
    """
    import yaml

    source = Path(path) if path else corpora_path("columns.yaml")
    data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise InputFormatError(f"{source}: expected a mapping of column name → header names")
    return {str(name): _tiers(value, source, str(name)) for name, value in data.items()}


def _tiers(value: object, source: Path, name: str) -> Tiers:
    if not isinstance(value, list):
        raise InputFormatError(f"{source}: {name}: expected a list of names or of name lists")
    if all(isinstance(v, str) for v in value):
        return [[str(v) for v in value]]
    if all(isinstance(v, list) for v in value):
        return [[str(n) for n in tier] for tier in value]
    raise InputFormatError(f"{source}: {name}: mix of names and name lists; use one form")


def header_key(name: str) -> str:
    """Loose form of a header for matching: NFKC, case-folded, no spaces/_/-/."""
    return _KEY_RE.sub("", unicodedata.normalize("NFKC", name).casefold())


def resolve_columns(
    header: list[str],
    given: Mapping[str, str | None],
    *,
    sample: pd.DataFrame | None = None,
    synonyms: Mapping[str, Tiers] | None = None,
    source: str = "<memory>",
    repeated: Mapping[str, list[str]] | None = None,
) -> ColumnMapping:
    """Map canonical columns to source columns.

    Args:
        header: the source column names.
        given: canonical name → user-given source name (None when not given).
        sample: the first rows, used to guess the text column when no header fits.
        synonyms: tiers per canonical name; the shipped ``columns.yaml`` by default.
        source: the file name for error messages.
        repeated: a header name that repeats → the unique names its columns
            were given (``RawInfo.repeated``).

    Returns:
        The mapping, with which entries were detected or guessed.

    Raises:
        ColumnError: a given column is missing, the text column is missing or
            ambiguous, or a detected column's header name repeats (the message
            lists the columns and the option to use).
    """
    tiers = load_synonyms() if synonyms is None else synonyms
    mapping = ColumnMapping()
    for canonical in MAPPABLE:
        name = given.get(canonical)
        if name is not None:
            mapping.columns[canonical] = _given_column(canonical, name, header, source, mapping)
    groups = {n: (base, names) for base, names in (repeated or {}).items() for n in names}
    for canonical, name in mapping.columns.items():
        if name in groups:
            mapping.notes.append(
                f"{option_name(canonical)} {name!r}: the header repeats {groups[name][0]!r} "
                f"(read as {', '.join(map(repr, groups[name][1]))}); check it is the one meant"
            )
    taken = set(mapping.columns.values())
    for canonical in MAPPABLE:
        if canonical in mapping.columns:
            continue
        free = [h for h in header if h not in taken]
        found = _detect(canonical, free, tiers.get(canonical, []), source, mapping, sample)
        if found is not None and found in groups:
            raise _repeated_error(canonical, header, *groups[found], source)
        if found is not None:
            mapping.columns[canonical] = found
            taken.add(found)
    return mapping


def _given_column(
    canonical: str, name: str, header: list[str], source: str, mapping: ColumnMapping
) -> str:
    if name in header:
        return name
    loose = [h for h in header if header_key(h) == header_key(name)]
    if len(loose) == 1:
        mapping.notes.append(f"{option_name(canonical)} {name!r} matched column {loose[0]!r}")
        return loose[0]
    close = difflib.get_close_matches(name, header, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    raise ColumnError(
        f"{source}: no column {name!r} (given with {option_name(canonical)}); "
        f"columns found: {columns_text(header)}{hint}"
    )


def _detect(
    canonical: str,
    free: list[str],
    tiers: Tiers,
    source: str,
    mapping: ColumnMapping,
    sample: pd.DataFrame | None,
) -> str | None:
    hits = _match(canonical, free, tiers)
    if len(hits) == 1:
        mapping.auto_detected.append(canonical)
        return hits[0]
    if len(hits) > 1:
        _ambiguous(canonical, hits, free, source, mapping)
        return None
    if canonical != "text":
        return None
    guess = guess_text_column(sample, free) if sample is not None else None
    if guess is None:
        raise ColumnError(
            f"{source}: cannot tell which column holds the review text; "
            f"columns found: {columns_text(free)}; pass --text-col NAME"
        )
    mapping.guessed.append("text")
    mapping.notes.append(f"text column guessed from its content: {guess!r}; check it")
    return guess


def _ambiguous(
    canonical: str, hits: list[str], free: list[str], source: str, mapping: ColumnMapping
) -> None:
    """Raise for the text column; note and leave unmapped for the others."""
    names = ", ".join(map(repr, hits))
    if canonical == "text":
        raise ColumnError(
            f"{source}: several columns could hold the review text ({names}); "
            f"columns found: {columns_text(free)}; pass --text-col NAME"
        )
    mapping.notes.append(
        f"{canonical}: several columns match ({names}), none used; "
        f"pass {option_name(canonical)} NAME"
    )


def _repeated_error(
    canonical: str, header: list[str], base: str, names: list[str], source: str
) -> ColumnError:
    what = "the review text" if canonical == "text" else f"the {canonical}"
    where = ", ".join(str(header.index(n) + 1) for n in names)
    shown = ", ".join(map(repr, names))
    return ColumnError(
        f"{source}: several columns could hold {what}: the header repeats {base!r} "
        f"(columns {where}, read as {shown}); pass {option_name(canonical)} NAME with one "
        f"of {shown}, or rename the repeated columns"
    )


def header_as_data(mapping: ColumnMapping) -> str | None:
    """The text column's name when it looks like a review itself, else None.

    That is: no column was found by its header name, the text column was
    guessed from the data, and its own header is a Chinese string as long as
    a review must be for the guess. Such a "header" is most likely the first
    review of a file without a header row, unless it reads as a survey's
    question (您对…有什么建议？, 评价内容：), the header of many exports.
    """
    if mapping.auto_detected or "text" not in mapping.guessed:
        return None
    name = mapping.columns["text"].strip()
    if _SURVEY_QUESTION_RE.search(name):
        return None
    return name if _CJK_RE.search(name) and len(name) >= _GUESS_MIN_LEN else None


# A question or a label put to the respondent: a header, not a review.
_SURVEY_QUESTION_RE = re.compile(r"[?？:：]\s*$|您|请(?:问|填写|输入|描述)")


def _match(canonical: str, free: list[str], tiers: Tiers) -> list[str]:
    """Headers matching at the first step that matches anything."""
    steps: list[tuple[set[str], bool]] = [({canonical}, False)]
    for tier in tiers:
        steps.append(({n.strip().casefold() for n in tier}, False))
        steps.append(({header_key(n) for n in tier}, True))
    for names, loose in steps:
        hits = [h for h in free if (header_key(h) if loose else h.strip().casefold()) in names]
        if hits:
            return hits
    return []


def guess_text_column(sample: pd.DataFrame, free: list[str]) -> str | None:
    """The only column whose values are mostly Chinese and at least 8 characters long.

    Returns:
        Its name, or None when no column or several columns look like text.
    """
    found = []
    for name in free:
        values = sample[name].dropna().astype(str).head(_GUESS_SAMPLE)
        values = values[values.str.strip() != ""]
        if values.empty:
            continue
        cjk = values.str.contains(_CJK_RE).mean()
        if cjk >= 0.5 and values.str.len().median() >= _GUESS_MIN_LEN:
            found.append(name)
    return found[0] if len(found) == 1 else None


def columns_text(names: list[str]) -> str:
    """Column names for a message, cut after the first 30."""
    shown = ", ".join(map(repr, names[:_LISTED]))
    more = f" ... ({len(names) - _LISTED} more)" if len(names) > _LISTED else ""
    return (shown + more) or "(none)"
