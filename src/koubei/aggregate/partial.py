"""The per-row half of aggregation: one partition of a scored frame → its additive counts.

:func:`count_partition` does all the work that looks at rows (which rows
count, their group and window, their indicator columns, their opinion
phrases) and sums it per group × window. Everything it returns adds up over
partitions (:meth:`PartialCounts.add`), so a scored dataset can be counted
part by part, on other machines, and :func:`koubei.aggregate.combine.finish`
turns the sum into the same table as one pass over the whole frame. The
rating scale is not known per partition, so the satisfied counts of every
scale are kept and the scale is chosen from the overall largest rating.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from koubei.aggregate.satisfaction import SATISFIED_FROM, valid_ratings
from koubei.aggregate.windows import Freq, window_start
from koubei.schema import EXCLUSION_ORDER, TOPIC_PREFIX, complaint_flags, countable, exclusions, topic_ids
from koubei.taxonomy import Taxonomy

#: review_ids of rows without a time that a report lists
EXAMPLES = 5
START = "window_start"
ONE = "_one"


@dataclass
class PartialCounts:
    """The additive counts of one or more partitions of a scored frame.

    Attributes:
        sums: one row per group × window seen: the key columns (``ONE`` when
            there are none) and the indicator sums.
        count_cols: the indicator columns, in table order.
        opinions: per key and ``中文topic:phrase`` of a negative topic, ``n`` reviews.
        rows_read, rows_counted, excluded, untimed, untimed_examples: as
            :class:`koubei.aggregate.AggregateReport`.
        max_rating: the largest valid rating (None: none); has_rating: a rating column exists.
        has_time: a time column exists; timed: counted rows with a time;
        bad_time: rows flagged ``bad_time``.
    """

    sums: pd.DataFrame
    count_cols: list[str]
    opinions: pd.DataFrame
    rows_read: int = 0
    rows_counted: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    untimed: int = 0
    untimed_examples: list[tuple[int, str]] = field(default_factory=list)
    max_rating: float | None = None
    has_rating: bool = False
    has_time: bool = False
    timed: int = 0
    bad_time: int = 0

    @property
    def keys(self) -> list[str]:
        return [c for c in self.sums.columns if c not in self.count_cols]

    def add(self, other: PartialCounts, known_directions: list[str]) -> PartialCounts:
        """The counts of both (``other``'s rows after this one's, for the examples)."""
        keys = self.keys
        cols = _union_cols(self.count_cols, other.count_cols, known_directions)
        sums = _add_frames(self.sums, other.sums, keys, cols)
        ops = _add_frames(self.opinions, other.opinions, [*keys, "opinion"], ["n"])
        excluded = {k: self.excluded.get(k, 0) + other.excluded.get(k, 0) for k in EXCLUSION_ORDER}
        ratings = [r for r in (self.max_rating, other.max_rating) if r is not None]
        return PartialCounts(
            sums=sums, count_cols=cols, opinions=ops,
            rows_read=self.rows_read + other.rows_read,
            rows_counted=self.rows_counted + other.rows_counted,
            excluded={k: v for k, v in excluded.items() if v},
            untimed=self.untimed + other.untimed,
            untimed_examples=sorted(self.untimed_examples + other.untimed_examples)[:EXAMPLES],
            max_rating=max(ratings) if ratings else None,
            has_rating=self.has_rating or other.has_rating,
            has_time=self.has_time or other.has_time,
            timed=self.timed + other.timed, bad_time=self.bad_time + other.bad_time,
        )


    def regroup(self, keys: list[str]) -> PartialCounts:
        """The same counts summed over fewer key columns (``keys`` a subset of :attr:`keys`; [] for one
        group): counting once at the finest grouping gives every coarser table without a second pass."""
        sums = _regroup(self.sums, keys, self.count_cols)
        ops = _regroup(self.opinions, [*keys, "opinion"], ["n"])
        if not keys:
            ops.insert(0, ONE, 1)
        return replace(self, sums=sums, opinions=ops)


def _regroup(frame: pd.DataFrame, keys: list[str], cols: list[str]) -> pd.DataFrame:
    if keys:
        return frame.groupby(keys, sort=False)[cols].sum().reset_index()
    return frame[cols].sum().to_frame().T.assign(**{ONE: 1})


def _union_cols(a: list[str], b: list[str], known: list[str]) -> list[str]:
    """Both lists' columns in table order: the taste directions, after the last
    ``*complaints`` column, known ones first, then the others found, sorted."""
    if a == b:
        return a
    last = max(i for i, c in enumerate(a) if c.endswith("complaints"))
    head = a[: last + 1]
    known_cols = [f"taste_{d}" for d in known]
    extra = sorted({*a, *b} - {*head, *known_cols})
    return head + known_cols + extra


def _add_frames(a: pd.DataFrame, b: pd.DataFrame, keys: list[str], cols: list[str]) -> pd.DataFrame:
    """Rows of both summed per key, every column of ``cols`` (0 where one lacks it)."""
    if b.empty and set(cols) <= set(a.columns):
        return a
    if a.empty and set(cols) <= set(b.columns):
        return b
    both = pd.concat([a, b], ignore_index=True)
    both[cols] = both.reindex(columns=cols).fillna(0)
    if not len(both):
        return both[[*keys, *cols]]
    return both.groupby(keys, sort=False)[cols].sum().reset_index()


def count_partition(scored: pd.DataFrame, *, by: list[str], freq: Freq | None, taxonomy: Taxonomy,
                    opinions: bool = True, first_row: int = 0) -> PartialCounts:
    """The additive counts of one partition.

    Args:
        scored: the partition, dtypes restored, with a fresh RangeIndex.
        by: grouping columns (checked to exist).
        freq: the windows, or None for one.
        taxonomy: gives the taste directions and the topics' Chinese names.
        opinions: count opinion phrases (for ``top_opinions``).
        first_row: the partition's first row's 0-based position in the whole data.
    """
    counted = countable(scored)
    untimed = np.flatnonzero(counted.to_numpy() & no_time(scored).to_numpy())
    ids = scored["review_id"].astype(str).to_numpy()
    rows = scored.loc[counted]
    windowed = freq if "time" in scored else None  # no time column: finish() says so
    keys = _keys(rows, by, windowed)
    timed = 0
    if freq is not None:
        keep = keys[START].notna() if windowed else pd.Series(False, index=keys.index)
        rows, keys, timed = rows.loc[keep], keys.loc[keep], int(keep.sum())
    counts = indicators(rows, taxonomy)
    ratings = valid_ratings(scored.get("rating"))
    bad = scored["flags"].fillna("").astype(str).str.contains(r"(?:^|;)bad_time(?:;|$)", regex=True)
    return PartialCounts(
        sums=_sums(counts, keys), count_cols=list(counts.columns),
        opinions=opinion_counts(rows, keys, taxonomy) if opinions else _no_opinions(keys),
        rows_read=len(scored), rows_counted=int(counted.sum()), excluded=exclusions(scored, counted),
        untimed=len(untimed),
        untimed_examples=[(first_row + int(i) + 1, str(ids[i])) for i in untimed[:EXAMPLES]],
        max_rating=float(ratings.max()) if not ratings.empty else None,
        has_rating="rating" in scored, has_time="time" in scored, timed=timed,
        bad_time=int(bad.sum()),
    )


def no_time(frame: pd.DataFrame) -> pd.Series:
    if "time" not in frame.columns:
        return pd.Series(True, index=frame.index)
    return frame["time"].isna()


def _keys(rows: pd.DataFrame, by: list[str], f: Freq | None) -> pd.DataFrame:
    """Per counted row: its group values (text, missing → "") and window start."""
    keys = pd.DataFrame(index=rows.index)
    for col in by:
        keys[col] = rows[col].astype("string").fillna("").astype(str)
    if f is not None:
        keys[START] = window_start(rows["time"], f)
    return keys


def _flag(values: pd.Series, wanted: str) -> np.ndarray:
    return values.astype("string").fillna("").eq(wanted).to_numpy(dtype=np.int64)


def indicators(rows: pd.DataFrame, tax: Taxonomy) -> pd.DataFrame:
    """Per counted row: 0/1 (or score) columns whose sums the table is made of.

    ``_satisfied_<scale>`` for every rating scale; the table keeps the one of the scale used.
    """
    score = pd.to_numeric(rows["sentiment_score"], errors="coerce") if "sentiment_score" in rows else None
    cols: dict[str, np.ndarray] = {
        "reviews": np.ones(len(rows), dtype=np.int64),
        **{p: _flag(rows["sentiment"], p) for p in ("pos", "neu", "neg")},
        "_score_sum": score.fillna(0.0).to_numpy(dtype=float) if score is not None else np.zeros(len(rows)),
        "_score_n": score.notna().to_numpy(dtype=np.int64) if score is not None else np.zeros(len(rows), int),
        **_satisfaction(rows), "complaints": complaint_flags(rows),
    }
    for tid in topic_ids(rows):
        cols[f"{tid}_complaints"] = _flag(rows[TOPIC_PREFIX + tid], "neg")
    details = rows["taste_detail"].fillna("").astype(str) if "taste_detail" in rows else None
    named = (details != "").to_numpy() if details is not None else np.zeros(len(rows), dtype=bool)
    for d in _directions(details, tax):
        hit = np.zeros(len(rows), dtype=np.int64)
        if details is not None:  # few reviews name a direction: search those only
            found = details[named].str.contains(rf"(?:^|;){d}(?:;|$)", regex=True)
            hit[named] = found.to_numpy(dtype=np.int64)
        cols[f"taste_{d}"] = hit
    return pd.DataFrame(cols, index=rows.index)


def _satisfaction(rows: pd.DataFrame) -> dict[str, np.ndarray]:
    """``rated`` and ``_satisfied_<scale>`` per row, 0/1."""
    if "rating" not in rows:
        zeros = np.zeros(len(rows), dtype=np.int64)
        return {"rated": zeros, **{f"_satisfied_{s}": zeros.copy() for s in SATISFIED_FROM}}
    values = pd.to_numeric(rows["rating"], errors="coerce").astype(float).to_numpy()
    with np.errstate(invalid="ignore"):
        rated = values > 0
        out = {"rated": rated.astype(np.int64)}
        for scale, least in SATISFIED_FROM.items():
            out[f"_satisfied_{scale}"] = (rated & (values >= least)).astype(np.int64)
    return out


def _directions(details: pd.Series | None, tax: Taxonomy) -> list[str]:
    """The taxonomy's taste directions, then any other found in the data (sorted)."""
    known = tax.direction_ids
    if details is None:
        return known
    seen = details[details != ""].str.split(";").explode()
    extra = sorted(set(seen[seen != ""]) - set(known))
    return known + extra


def _sums(counts: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    if keys.columns.empty:
        return counts.sum().to_frame().T.assign(**{ONE: 1})
    return counts.groupby([keys[c] for c in keys.columns], sort=False).sum().reset_index()


def _opinion_items(rows: pd.DataFrame, tax: Taxonomy) -> pd.DataFrame:
    """One row per (review, ``中文topic:phrase``) whose topic is negative in that review."""
    ids = topic_ids(rows)
    if "opinions" not in rows or not ids:
        return pd.DataFrame({"row": pd.Series([], dtype=np.int64), "opinion": pd.Series([], dtype=str)})
    names = {t.zh: t.id for t in tax.topics} | {t: t for t in ids}
    neg = np.column_stack([_flag(rows[TOPIC_PREFIX + t], "neg") for t in ids]).astype(bool)
    # only reviews with a negative topic can give a phrase: split those, not every review's
    items = rows.loc[neg.any(axis=1), "opinions"].fillna("").astype(str).str.split(";").explode()
    items = items[items.str.contains(":", regex=False)]
    label = items.str.split(":", n=1).str[0]
    topic = label.map(names)
    ok = topic.isin(ids)
    items, topic = items[ok], topic[ok]
    pos = rows.index.get_indexer(items.index)
    col = pd.Index(ids).get_indexer(topic.to_numpy())
    keep = neg[pos, col] if len(pos) else np.zeros(0, dtype=bool)
    found = pd.DataFrame({"row": items.index.to_numpy()[keep], "opinion": items.to_numpy()[keep]})
    return found.drop_duplicates()


def opinion_counts(rows: pd.DataFrame, keys: pd.DataFrame, tax: Taxonomy) -> pd.DataFrame:
    """Reviews per key and opinion phrase of a negative topic: key columns, ``opinion``, ``n``."""
    cols = list(keys.columns) or [ONE]
    items = _opinion_items(rows, tax).join(keys.assign(**{ONE: 1}) if not len(keys.columns)
                                           else keys, on="row")
    return items.groupby([*cols, "opinion"], sort=False).size().rename("n").reset_index()


def _no_opinions(keys: pd.DataFrame) -> pd.DataFrame:
    cols = list(keys.columns) or [ONE]
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in [*cols, "opinion"]}).assign(
        n=pd.Series([], dtype=np.int64))
