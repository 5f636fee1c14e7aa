"""Reading labelled reviews: tabular files, JSON Lines and Label Studio exports.

Every reader turns a file into :class:`RawLabel` rows (labels as written,
with where they came from); :func:`validate` then checks them against a
:class:`~koubei.taxonomy.Taxonomy` and returns
:class:`~koubei.corpora.GoldRecord` objects plus a :class:`LabelReport`.
Every problem of a file is collected first and raised as one
:class:`~koubei.errors.LabelError` naming the file, rows and labels.

Formats:

- **tabular** (``.csv`` ``.tsv`` ``.xlsx``): one row per review; a text column
  (detected like ``koubei score`` does, or ``text_col``); a ``topics`` column
  ``taste:neg;packaging:neg`` *or* one column per topic (``taste`` or
  ``topic_taste``) holding ``pos``/``neg``/``neu``; ``sentiment``; optional
  ``taste_detail`` (``too_bland;too_salty``); optional ``checked``: when the
  column exists only rows marked checked (``1``, ``y``, ``yes``, ``x``,
  ``true``, ``是``, ``✓``) count, so a pre-filled file from ``koubei suggest``
  never trains on rows nobody looked at.
- **jsonl**: the gold format of ``../shared/corpora/labels`` (``text``,
  ``sentiment``, ``topics`` as a mapping or a string, ``taste_detail``).
- **labelstudio**: Label Studio's JSON export (see :mod:`koubei.train.labelstudio`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from koubei.corpora import GoldRecord
from koubei.errors import InputError, LabelError
from koubei.io.formats import binary_kind
from koubei.schema import TOPIC_PREFIX
from koubei.taxonomy import Taxonomy
from koubei.text.normalize import normalize
from koubei.train.label_file import LabelReport, RawLabel

POLARITY_ALIASES = {
    "pos": "pos", "positive": "pos", "正面": "pos", "好评": "pos", "1": "pos", "+1": "pos",
    "neg": "neg", "negative": "neg", "负面": "neg", "差评": "neg", "-1": "neg",
    "neu": "neu", "neutral": "neu", "中性": "neu", "中评": "neu", "0": "neu",
}
CHECKED_VALUES = frozenset({"1", "y", "yes", "x", "true", "是", "✓", "√", "ok", "done"})
LABEL_FORMATS = ("tabular", "jsonl", "labelstudio")
_ITEM_SEP = re.compile(r"[;；,，|、]\s*")
_PAIR_SEP = re.compile(r"\s*[:：=]\s*")
_MAX_PLACES = 5


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def detect_label_format(path: Path, label_studio: bool = False) -> str:
    """``tabular``, ``jsonl`` or ``labelstudio`` from the flag, extension and content.

    Raises:
        LabelError: an extension koubei reads no labels from.
    """
    if label_studio:
        return "labelstudio"
    ext = path.suffix.lower()
    if ext in (".csv", ".tsv", ".txt", ".xlsx", ".xlsm"):
        return "tabular"
    if ext in (".jsonl", ".ndjson"):
        return "jsonl"
    if ext == ".json":
        return "labelstudio" if _looks_like_label_studio(path) else "jsonl"
    if path.is_file() and binary_kind(path) == "xlsx":  # a workbook saved without its extension
        return "tabular"
    raise LabelError(f"{path}: cannot read labels from {ext or 'a file without extension'}; "
                     "use .csv .tsv .xlsx .jsonl or a Label Studio .json export")


def _looks_like_label_studio(path: Path) -> bool:
    head = path.read_text(encoding="utf-8-sig", errors="replace")[:20000].lstrip()
    return head.startswith("[") and ('"data"' in head or '"annotations"' in head)


def read_labels(path: str | Path, taxonomy: Taxonomy, *, text_col: str | None = None,
                label_studio: bool = False,
                read_options: Mapping[str, Any] | None = None) -> tuple[list[GoldRecord], LabelReport]:
    """Read and validate a label file (format from ``label_studio``, extension and content).

    Args:
        path: a CSV, TSV, Excel, JSON Lines or Label Studio JSON file.
        taxonomy: the taxonomy the labels must follow.
        text_col: the text column of a table (default: detected as ``koubei score`` does).
        label_studio: read ``path`` as a Label Studio export (a ``.json`` one is told from its content).
        read_options: further ``koubei.io.ReadOptions`` fields for a CSV/TSV/Excel
            file (``quoting``, ``no_header``).

    Returns:
        The labelled reviews (deduplicated on normalized text) and a report.

    Raises:
        InputError: the file is missing or unreadable.
        LabelError: malformed content, labels outside ``taxonomy``, or no label at all.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"label file not found: {p}")
    fmt = detect_label_format(p, label_studio)
    report = LabelReport(path=str(p), format=fmt, sha256=file_sha256(p))
    if fmt == "tabular":
        raws = read_tabular(p, taxonomy, text_col, report, read_options)
    elif fmt == "jsonl":
        raws = read_jsonl(p, text_col or "text")
    else:
        from koubei.train.labelstudio import read_export

        raws = read_export(p, report)
    report.rows = report.rows or len(raws)
    records = validate(raws, taxonomy, str(p), report)
    return records, report


# -- tabular ------------------------------------------------------------------------------------

def read_tabular(path: Path, taxonomy: Taxonomy, text_col: str | None,
                 report: LabelReport, read_options: Mapping[str, Any] | None = None) -> list[RawLabel]:
    """RawLabels of a CSV/TSV/Excel file (see the module docstring)."""
    from koubei.io import read_reviews

    df = read_reviews(path, text_col=text_col, **(read_options or {}))
    report.rows = len(df)
    topic_cols = _topic_columns(df.columns, taxonomy)
    if "topics" not in df.columns and not topic_cols:
        raise LabelError(
            f"{path}: no label columns: expected a 'topics' column (taste:neg;packaging:pos) or one "
            f"column per topic ({', '.join(taxonomy.topic_ids[:4])}, ... or topic_taste, ...); "
            f"columns found: {', '.join(map(str, df.columns[:20]))}")
    out: list[RawLabel] = []
    for i, row in enumerate(df.to_dict("records")):
        where = f"row {i + 2}"
        if "checked" in df.columns and _cell(row.get("checked")).lower() not in CHECKED_VALUES:
            _skip(report, "not checked")
            continue
        if row.get("status") != "ok":
            _skip(report, "no text")
            continue
        topics = (parse_topics(_cell(row.get("topics")))
                  if "topics" in df.columns else _topics_from_columns(row, topic_cols))
        out.append(RawLabel(where=where, id=_cell(row.get("review_id")), text=str(row["text"]),
                            sentiment=_cell(row.get("sentiment")), topics=topics,
                            taste_detail=_split_list(_cell(row.get("taste_detail")))))
    return out


def _topic_columns(columns: Sequence[Any], taxonomy: Taxonomy) -> dict[str, str]:
    """Column → topic label for per-topic columns (``taste`` or ``topic_taste``)."""
    ids = set(taxonomy.topic_ids)
    out = {}
    for c in map(str, columns):
        if c in ids:
            out[c] = c
        elif c.startswith(TOPIC_PREFIX) and c != TOPIC_PREFIX:
            out[c] = c[len(TOPIC_PREFIX):]
    return out


def _topics_from_columns(row: dict[str, Any], topic_cols: dict[str, str]) -> dict[str, str]:
    return {label: _cell(row.get(col)) for col, label in topic_cols.items() if _cell(row.get(col))}


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _skip(report: LabelReport, reason: str) -> None:
    report.skipped[reason] = report.skipped.get(reason, 0) + 1


def parse_topics(value: str) -> dict[str, str]:
    """``"taste:neg;packaging:neg"`` → ``{"taste": "neg", "packaging": "neg"}`` (polarity "" if absent)."""
    out: dict[str, str] = {}
    for item in _ITEM_SEP.split(value.strip()):
        if not item.strip():
            continue
        parts = _PAIR_SEP.split(item.strip(), maxsplit=1)
        out[parts[0].strip()] = parts[1].strip() if len(parts) > 1 else ""
    return out


def _split_list(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in _ITEM_SEP.split(str(value or "")) if v.strip()]


# -- JSON Lines ---------------------------------------------------------------------------------

def read_jsonl(path: Path, text_key: str = "text") -> list[RawLabel]:
    """RawLabels of a JSON Lines file (or a JSON array of the same objects).

    Raises:
        LabelError: a line that is not a JSON object, or has no text.
    """
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        try:
            items = json.loads(text)
        except ValueError as e:
            raise LabelError(f"{path}: not valid JSON ({e})") from e
        if not isinstance(items, list):
            raise LabelError(f"{path}: expected a JSON array of labelled reviews")
        lines = [(f"item {i + 1}", it) for i, it in enumerate(items)]
    else:
        lines = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                lines.append((f"line {n}", json.loads(line)))
            except ValueError as e:
                raise LabelError(f"{path}: line {n} is not valid JSON ({e})") from e
    return [_jsonl_row(path, where, obj, text_key) for where, obj in lines]


def _jsonl_row(path: Path, where: str, obj: Any, text_key: str) -> RawLabel:
    if not isinstance(obj, dict):
        raise LabelError(f"{path}: {where} must be a JSON object, got {type(obj).__name__}")
    text = obj.get(text_key)
    if not isinstance(text, str) or not text.strip():
        raise LabelError(f"{path}: {where} has no '{text_key}' text")
    raw_topics = obj.get("topics") or {}
    if isinstance(raw_topics, str):
        topics = parse_topics(raw_topics)
    elif isinstance(raw_topics, dict):
        topics = {str(k): _cell(v) for k, v in raw_topics.items()}
    else:
        raise LabelError(f"{path}: {where}: 'topics' must be a mapping topic → polarity or a string")
    return RawLabel(where=where, id=_cell(obj.get("id")), text=text,
                    sentiment=_cell(obj.get("sentiment")), topics=topics,
                    taste_detail=_split_list(obj.get("taste_detail") or []))


# -- validation ---------------------------------------------------------------------------------

class _Problems:
    """Problems of a file, grouped by kind and label, each with the places it occurs."""

    def __init__(self) -> None:
        self.by_kind: dict[str, dict[str, list[str]]] = {}

    def add(self, kind: str, label: str, where: str) -> None:
        self.by_kind.setdefault(kind, {}).setdefault(label, []).append(where)

    def lines(self) -> list[str]:
        out = []
        for kind, labels in self.by_kind.items():
            items = []
            for label, places in labels.items():
                more = f" and {len(places) - _MAX_PLACES} more" if len(places) > _MAX_PLACES else ""
                items.append(f"{label!r} ({', '.join(places[:_MAX_PLACES])}{more})")
            out.append(f"{kind}: {'; '.join(items)}")
        return out


def topic_aliases(taxonomy: Taxonomy) -> dict[str, str]:
    """Accepted spellings of each topic: its id, Chinese name, English name (lower case)."""
    out = {}
    for t in taxonomy.topics:
        out.update({t.zh: t.id, t.en.lower(): t.id, t.id: t.id})
    return out


def validate(raws: Sequence[RawLabel], taxonomy: Taxonomy, path: str,
             report: LabelReport) -> list[GoldRecord]:
    """Check labels against ``taxonomy``; deduplicate; count.

    Raises:
        LabelError: any label outside the taxonomy (all listed with their rows),
            labels that share nothing with the taxonomy, or no labelled review.
    """
    aliases = topic_aliases(taxonomy)
    problems = _Problems()
    known_seen = unknown_seen = 0
    records = []
    for r in raws:
        topics: dict[str, str] = {}
        for label, pol in r.topics.items():
            tid = aliases.get(label) or aliases.get(label.lower())
            if tid is None:
                problems.add("topics outside the taxonomy", label, r.where)
                unknown_seen += 1
                continue
            known_seen += 1
            norm_pol = POLARITY_ALIASES.get(pol.lower())
            if norm_pol is None or norm_pol not in taxonomy.polarities:
                problems.add(f"topic polarities not in {'/'.join(taxonomy.polarities)}",
                             f"{label}:{pol}" if pol else f"{label} (no polarity)", r.where)
                continue
            topics[tid] = norm_pol
        sentiment = ""
        if r.sentiment:
            sentiment = POLARITY_ALIASES.get(r.sentiment.lower(), "")
            if not sentiment:
                problems.add("sentiments not in pos/neg/neu", r.sentiment, r.where)
        for d in r.taste_detail:
            if d not in taxonomy.direction_ids:
                problems.add("taste directions outside the taxonomy", d, r.where)
        if not topics and not sentiment and not r.topics:
            _skip(report, "no labels")
            continue
        records.append(_record(r, topics, sentiment, taxonomy, report, path))
    _raise_problems(problems, taxonomy, path, known_seen, unknown_seen)
    records = _dedupe(records, report)
    if not records:
        raise LabelError(f"{path}: no labelled reviews (every row lacks text or labels)")
    _count(records, taxonomy, report)
    return records


def _record(r: RawLabel, topics: dict[str, str], sentiment: str, taxonomy: Taxonomy,
            report: LabelReport, path: str) -> GoldRecord:
    dirs = tuple(d for d in r.taste_detail if d in taxonomy.direction_ids)
    if dirs and topics.get(taxonomy.taste_topic or "") != "neg":
        report.warnings.append(f"{r.where}: taste_detail {';'.join(dirs)} without a negative "
                               f"{taxonomy.taste_topic} topic; ignored")
        dirs = ()
    rid = r.id or "label-" + hashlib.sha1(r.text.encode("utf-8")).hexdigest()[:12]
    return GoldRecord(id=rid, source=Path(path).name, selection=r.where, text=r.text,
                      sentiment=sentiment, topics=topics, taste_detail=dirs)


def _raise_problems(problems: _Problems, taxonomy: Taxonomy, path: str, known: int,
                    unknown: int) -> None:
    if unknown and not known:
        labels = ", ".join(repr(x) for x in problems.by_kind["topics outside the taxonomy"])
        raise LabelError(
            f"{path}: none of its topic labels is in taxonomy {taxonomy.name} v{taxonomy.version} "
            f"(found {labels}; the taxonomy has {', '.join(taxonomy.topic_ids)}); were they written "
            "for another taxonomy? pass it with --taxonomy FILE")
    if problems.by_kind:
        raise LabelError(
            f"{path}: labels that taxonomy {taxonomy.name} v{taxonomy.version} does not know: "
            + " | ".join(problems.lines())
            + f". Known topics: {', '.join(taxonomy.topic_ids)}; polarities: "
            f"{', '.join(taxonomy.polarities)}; fix the labels or pass --taxonomy FILE")


def _dedupe(records: list[GoldRecord], report: LabelReport) -> list[GoldRecord]:
    """One record per normalized text; a later record replaces an earlier one (a relabelling
    appended to a file wins), and a replacement with other labels is reported."""
    seen: dict[str, GoldRecord] = {}
    for r in records:
        key = normalize(r.text)
        prev = seen.get(key)
        seen[key] = r
        if prev is None:
            continue
        _skip(report, "duplicate text")
        if (prev.topics, prev.sentiment, prev.taste_detail) != (r.topics, r.sentiment, r.taste_detail):
            report.warnings.append(f"{r.selection} repeats the text of {prev.selection} with other "
                                   f"labels ({_labels(prev)} -> {_labels(r)}); the later is kept")
    return list(seen.values())


def _labels(r: GoldRecord) -> str:
    dirs = [f"taste_detail:{'+'.join(r.taste_detail)}"] if r.taste_detail else []
    return ";".join([r.sentiment or "-", *(f"{t}:{p}" for t, p in r.topics.items()), *dirs])


def _count(records: Sequence[GoldRecord], taxonomy: Taxonomy, report: LabelReport) -> None:
    report.records = len(records)
    report.topic_counts = {t: {} for t in taxonomy.topic_ids}
    for r in records:
        for t, pol in r.topics.items():
            report.topic_counts[t][pol] = report.topic_counts[t].get(pol, 0) + 1
    report.sentiment_counts = dict(sorted(Counter(r.sentiment for r in records if r.sentiment).items()))
    report.taste_counts = dict(sorted(Counter(d for r in records for d in r.taste_detail).items()))
