"""Raw chunk → chunk with the canonical columns appended.

Canonical columns, always present, after the source columns and in this order:

==============  ==========================================================
``text``        str; "" where missing
``review_id``   str; unique within the file (see :mod:`koubei.io.annotate`)
``time``        ``datetime64[ns, tz]``; NaT where missing or unparseable
``product``     str, or missing (NaN/None) where unmapped or empty;
``supplier``    same; surrounding whitespace stripped
``batch``       same
``channel``     same
``rating``      float; NaN where missing or not a number (``5星`` → 5,
                ``★★★★☆`` → 4; the source scale is kept)
``status``      ``ok`` / ``empty`` / ``non_text``
``flags``       ";"-joined sorted flags, "" when none
==============  ==========================================================

Source columns are kept as they are, with one exception: a source column
whose name is a canonical name. If it is the source mapped to that canonical
column (a ``text`` column used as text) the canonical column replaces it. If
not, it is kept as ``orig_<name>`` (``orig_<name>_2``... if that is taken) —
except ``status``/``flags`` columns equal to the recomputed ones (koubei's own
output read again), which are dropped as redundant.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from koubei.io.annotate import ReviewAnnotator
from koubei.io.columns import ColumnMapping
from koubei.io.report import ReadReport
from koubei.io.timeparse import parse_times
from koubei.schema import CANONICAL_COLUMNS, FLAGS

_OPTIONAL_TEXT = ("product", "supplier", "batch", "channel")
_DERIVED = ("status", "flags")


def as_text(values: pd.Series) -> pd.Series:
    """Any column as strings, "" where missing."""
    if isinstance(values.dtype, pd.StringDtype) or pd.api.types.is_string_dtype(values):
        return values.fillna("") if values.hasnans else values
    return values.astype(str).where(values.notna(), "")


class Canonicalizer:
    """Turns raw chunks of one source into canonical chunks, updating a report.

    Args:
        mapping: which source column feeds which canonical column.
        annotator: the per-file id/status/flag state.
        now: reference time for relative dates (tz-aware), or None.
        tz: time zone of the ``time`` column.
        report: the report to add this source's counts to.
    """

    def __init__(
        self,
        mapping: ColumnMapping,
        *,
        annotator: ReviewAnnotator,
        now: pd.Timestamp | None,
        tz: str,
        report: ReadReport,
    ) -> None:
        self.mapping = mapping
        self.annotator = annotator
        self.now = now
        self.tz = tz
        self.report = report

    def transform(self, raw: pd.DataFrame) -> pd.DataFrame:
        """The canonical form of ``raw`` (same rows, same index)."""
        cols = self.mapping.columns
        text = as_text(raw[cols["text"]])
        ids = as_text(raw[cols["review_id"]]) if "review_id" in cols else None
        notes = self.annotator.annotate(text, ids)
        time, bad_time = self._times(raw)
        masks = {name: notes[name].to_numpy() for name in FLAGS if name != "bad_time"}
        masks["bad_time"] = bad_time
        canon: dict[str, pd.Series | np.ndarray] = {
            "text": text,
            "review_id": notes["review_id"],
            "time": time,
        }
        for name in _OPTIONAL_TEXT:
            canon[name] = self._optional(raw, name)
        canon["rating"] = self._rating(raw)
        canon["status"] = notes["status"]
        canon["flags"] = join_flags(masks, len(raw))
        self._count(notes["status"], masks, len(raw))
        return merge_canonical(raw, pd.DataFrame(canon, index=raw.index), cols)

    def _times(self, raw: pd.DataFrame) -> tuple[pd.Series, np.ndarray]:
        source = self.mapping.columns.get("time")
        if source is None:
            empty = pd.Series(pd.NaT, index=raw.index, dtype=f"datetime64[ns, {self.tz}]")
            return empty, np.zeros(len(raw), dtype=bool)
        parsed = parse_times(raw[source], now=self.now, tz=self.tz)
        self.report.unparseable_time += int(parsed.bad.sum())
        self.report.relative_time_unresolved += parsed.relative_unresolved
        self.report.add_time_examples(parsed.examples)
        return parsed.times, parsed.bad

    def _optional(self, raw: pd.DataFrame, name: str) -> pd.Series:
        source = self.mapping.columns.get(name)
        if source is None:
            return pd.Series([None] * len(raw), index=raw.index, dtype=object)
        values = as_text(raw[source]).str.strip()
        return values.where(values != "", None)

    def _rating(self, raw: pd.DataFrame) -> pd.Series:
        source = self.mapping.columns.get("rating")
        if source is None:
            return pd.Series(np.nan, index=raw.index, dtype=float)
        rating, bad = parse_ratings(raw[source])
        self.report.unparseable_rating += bad
        return rating

    def _count(self, status: pd.Series, masks: dict[str, np.ndarray], n: int) -> None:
        report = self.report
        report.n_rows += n
        for name, count in status.value_counts().items():
            report.status_counts[str(name)] = report.status_counts.get(str(name), 0) + int(count)
        for name, mask in masks.items():
            report.flag_counts[name] += int(mask.sum())


def parse_ratings(values: pd.Series) -> tuple[pd.Series, int]:
    """Ratings as floats, and how many non-empty values were not numbers."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float), 0
    text = as_text(values).str.strip()
    number = pd.to_numeric(text, errors="coerce").astype(float)
    rest = number.isna() & (text != "")
    if rest.any():
        stars = text[rest].str.count("[★⭐]").astype(float)
        digits = text[rest].str.extract(r"(\d+(?:\.\d+)?)", expand=False).astype(float)
        number[rest] = stars.where(stars > 0, digits)
    return number, int((number.isna() & (text != "")).sum())


def join_flags(masks: dict[str, np.ndarray], n: int) -> np.ndarray:
    """One ";"-joined string of the set flags per row, names sorted."""
    out = np.full(n, "", dtype=object)
    for name in sorted(masks):
        mask = masks[name]
        if mask.any():
            current = out[mask]
            out[mask] = np.where(current == "", name, current + ";" + name)
    return out


def merge_canonical(
    raw: pd.DataFrame, canon: pd.DataFrame, mapping: dict[str, str]
) -> pd.DataFrame:
    """Source columns (clashing names handled, see module doc) + canonical columns."""
    keep = raw
    for name in CANONICAL_COLUMNS:
        if name not in keep.columns:
            continue
        if mapping.get(name) == name or (name in _DERIVED and _same(keep[name], canon[name])):
            keep = keep.drop(columns=name)
        else:
            keep = keep.rename(columns={name: _free_name(f"orig_{name}", keep.columns)})
    return pd.concat([keep, canon], axis=1)


def _same(old: pd.Series, new: pd.Series) -> bool:
    return bool((as_text(old).to_numpy(dtype=object) == new.to_numpy(dtype=object)).all())


def _free_name(name: str, taken: pd.Index) -> str:
    candidate, k = name, 1
    while candidate in taken:
        k += 1
        candidate = f"{name}_{k}"
    return candidate
