"""From the store's issue list to export records: filters, names, placement, masking.

A record is a plain dict, JSON-ready, with the keys of the JSON export
(``corpora/schema/issues.schema.json``); :func:`table_row` turns it into the
display values of the table formats.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Collection, Sequence
from typing import Any

import pandas as pd

from koubei.detect.quotes import mask_personal
from koubei.errors import InputError
from koubei.export.columns import STATUS_LABELS, TRACED, Lang, pick
from koubei.export.teams import Teams
from koubei.store.history import STATUSES
from koubei.taxonomy import Taxonomy

#: a cell's product/supplier not fixed by the cell is taken from the trace when
#: one value holds at least this share of the complaints
TRACE_MIN_SHARE = 0.5
NOVEL = ("novel", "新问题", "New kind of complaint")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{1,2})$", re.IGNORECASE)
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_since(value: str | dt.date | pd.Timestamp) -> pd.Timestamp:
    """``2026-W40`` (its Monday), ``2026-11`` (the 1st), a date or a timestamp → naive local time.

    Raises:
        InputError: neither a window label nor a date.
    """
    if isinstance(value, dt.date | pd.Timestamp):
        ts = pd.Timestamp(value)
        return ts.tz_localize(None) if ts.tzinfo else ts
    text = str(value).strip()
    try:
        if m := _WEEK_RE.match(text):
            return pd.Timestamp(dt.date.fromisocalendar(int(m[1]), int(m[2]), 1))
        if m := _MONTH_RE.match(text):
            return pd.Timestamp(int(m[1]), int(m[2]), 1)
        ts = pd.Timestamp(text)
    except ValueError:
        ts = None
    if ts is None or pd.isna(ts):
        raise InputError(f"--since {text!r}: give a window label (2026-W40, 2026-11) or a date (2026-11-23)")
    return ts.tz_localize(None) if ts.tzinfo else ts


def check_statuses(statuses: Collection[str] | None) -> list[str] | None:
    """The statuses to keep; ``None`` (or none given) = every state but ``muted``.

    Raises:
        InputError: an unknown state.
    """
    if not statuses:
        return None
    bad = [s for s in statuses if s not in STATUSES]
    if bad:
        raise InputError(f"--status {', '.join(bad)}: unknown; states are {', '.join(STATUSES)}")
    return list(dict.fromkeys(statuses))


def select(df: pd.DataFrame, *, statuses: Sequence[str] | None, min_severity: float | None,
           since: pd.Timestamp | None) -> pd.DataFrame:
    """Rows of ``IssueStore.list()`` kept by the filters (order kept).

    ``min_severity`` drops issues without a severity (new kinds of complaint);
    ``since`` keeps issues whose latest flagged window ends after it.
    """
    from koubei.aggregate.windows import window_end

    keep = df["status"].isin(statuses) if statuses is not None else df["status"] != "muted"
    if min_severity is not None:
        keep &= df["severity"].fillna(-math.inf) >= min_severity
    if since is not None and len(df):
        ends = [window_end(pd.Timestamp(s), str(f)) for s, f in zip(df["window_start"], df["freq"])]
        keep &= pd.Series([_naive(e) > since for e in ends], index=df.index)
    return df[keep].reset_index(drop=True)


def _naive(ts: pd.Timestamp) -> pd.Timestamp:
    return ts.tz_localize(None) if ts.tzinfo else ts


def build_records(df: pd.DataFrame, *, taxonomy: Taxonomy, teams: Teams, lang: Lang,
                  mask: bool) -> list[dict[str, Any]]:
    """One JSON-ready record per row of ``IssueStore.list()``."""
    return [_record(r, taxonomy=taxonomy, teams=teams, lang=lang, mask=mask)
            for r in df.to_dict(orient="records")]


def _record(r: dict[str, Any], *, taxonomy: Taxonomy, teams: Teams, lang: Lang, mask: bool) -> dict[str, Any]:
    cell, trace = _json(r.get("cell"), {}), _json(r.get("trace"), [])
    topic, direction = _text(r.get("topic")), _text(r.get("direction"))
    trend = [t for t in _json(r.get("trend"), []) if isinstance(t, dict)]
    quotes = [str(q) for q in _json(r.get("quotes"), [])]
    rec: dict[str, Any] = {
        "issue_id": _text(r.get("issue_id")), "status": _text(r.get("status")),
        "status_label": pick(STATUS_LABELS.get(_text(r.get("status")), ("", "")), lang),
        **_names(topic, _text(r.get("topic_zh")), direction, _text(r.get("dimension")), taxonomy),
        "level": _text(r.get("level")), "cell": cell if isinstance(cell, dict) else {},
        "cell_label": _text(r.get("cell_label")),
        **_placed(cell, trace, "product"), **_placed(cell, trace, "supplier"),
        "freq": _text(r.get("freq")), "window": _text(r.get("window")),
        "window_start": _iso(r.get("window_start")), "first_seen": _text(r.get("first_seen")),
        "last_seen": _text(r.get("last_seen")), "times_flagged": _int(r.get("times_flagged")),
        **{k: _int(r.get(k)) for k in ("count", "total")},
        **{k: _num(r.get(k)) for k in ("rate", "baseline_rate", "expected", "lift", "p_value", "q_value",
                                        "severity")},
        "test": _text(r.get("test")), "first_window": _text(r.get("first_window")),
        "trend": [{"window": str(t.get("window", "")), "count": _int(t.get("count")) or 0,
                   "total": _int(t.get("total")) or 0} for t in trend],
        "quotes": [mask_personal(q) if mask else q for q in quotes][:3],
        "team": teams.team(topic, direction, lang),
        "detection_summary": _text(r.get("summary")),
        "mute_reason": _text(r.get("mute_reason")) or None,
        "review_ids": [str(i) for i in _json(r.get("review_ids"), [])],
    }
    rec["summary"] = ticket_line(rec, lang)
    return rec


def _names(topic: str, topic_zh: str, direction: str, dimension: str, tax: Taxonomy) -> dict[str, str]:
    """Chinese and English names of the key's topic, direction and dimension."""
    topics = {t.id: t for t in tax.topics}
    dirs = {d.id: d for d in tax.taste_directions}
    dims = {d.id: d for d in tax.dimensions}
    if topic == NOVEL[0]:
        base_zh, base_en = NOVEL[1], NOVEL[2]
    else:
        base_zh = topics[topic].zh if topic in topics else topic_zh or topic
        base_en = topics[topic].en if topic in topics else topic
    d_zh, d_en = (dirs[direction].zh, dirs[direction].en) if direction in dirs else (direction, direction)
    return {
        "topic": topic, "topic_zh": topic_zh or (f"{base_zh}·{d_zh}" if direction else base_zh),
        "topic_en": f"{base_en} · {d_en}" if direction else base_en,
        "direction": direction, "direction_zh": d_zh, "direction_en": d_en,
        "dimension": dimension,
        "dimension_zh": dims[dimension].zh if dimension in dims else dimension,
        "dimension_en": dims[dimension].en if dimension in dims else dimension,
    }


def _placed(cell: Any, trace: Any, column: str) -> dict[str, Any]:
    """The cell's value of ``column``, else the traced value holding ≥ TRACE_MIN_SHARE of the complaints."""
    if isinstance(cell, dict) and _text(cell.get(column)):
        return {column: _text(cell[column]), f"{column}_source": "cell", f"{column}_share": 1.0}
    shares = [(_num(e.get("share", e.get("excess_share"))) or 0.0, _text(e.get("value")))
              for e in (trace if isinstance(trace, list) else [])
              if isinstance(e, dict) and e.get("column") == column]
    share, value = max(shares, default=(0.0, ""), key=lambda sv: sv[0])
    if value and share >= TRACE_MIN_SHARE:
        return {column: value, f"{column}_source": "trace", f"{column}_share": round(share, 3)}
    return {column: "", f"{column}_source": None, f"{column}_share": None}


def ticket_line(rec: dict[str, Any], lang: Lang) -> str:
    """One plain-text line to paste into a ticket: id, state, severity, what happened, owner; no links."""
    sev = rec["severity"]
    what = rec["detection_summary"] or f"{rec['topic_zh']} {rec['cell_label']}: {rec['count']}/{rec['total']}"
    what = " ".join(_URL_RE.sub("[链接]" if lang == "zh" else "[link]", what).split())
    ident = rec["issue_id"]
    if lang == "zh":
        head = f"{ident}【{rec['status_label']}】" + (f"严重度 {sev:.0f}：" if sev is not None else "")
        return f"{head}{what}。建议负责：{rec['team']}"
    head = f"{ident} [{rec['status_label']}]" + (f" severity {sev:.0f}: " if sev is not None else ": ")
    return f"{head}{what}. Suggested owner: {rec['team']}"


def table_row(rec: dict[str, Any], lang: Lang) -> dict[str, Any]:
    """Display values of one record for the table formats (keys of ``ISSUE_COLUMNS``)."""
    quotes = [*rec["quotes"], "", "", ""]
    return {
        "issue_id": rec["issue_id"], "status": rec["status_label"] or rec["status"],
        "topic_zh": rec["topic_zh"], "topic_en": rec["topic_en"],
        "dimension": rec["dimension_zh" if lang == "zh" else "dimension_en"],
        "direction": rec["direction_zh" if lang == "zh" else "direction_en"],
        "product": placed_label(rec, "product", lang), "supplier": placed_label(rec, "supplier", lang),
        "cell_label": rec["cell_label"], "window": rec["window"],
        **{k: rec[k] for k in ("count", "total", "rate", "baseline_rate", "lift", "q_value", "severity")},
        "first_window": rec["first_window"], "trend": ",".join(str(t["count"]) for t in rec["trend"]),
        "quote_1": quotes[0], "quote_2": quotes[1], "quote_3": quotes[2],
        "team": rec["team"], "summary": rec["summary"],
    }


def placed_label(rec: dict[str, Any], column: str, lang: Lang) -> str:
    """``原味瓜子``, or ``原味瓜子（追溯 80%）`` when it comes from the trace."""
    value = rec[column]
    if rec[f"{column}_source"] != "trace":
        return str(value)
    note = f"{pick(TRACED, lang)} {rec[f'{column}_share']:.0%}"
    return f"{value}（{note}）" if lang == "zh" else f"{value} ({note})"


def _json(value: Any, default: Any) -> Any:
    if isinstance(value, list | dict):
        return value
    if not isinstance(value, str) or not value.strip():
        return default
    try:
        return json.loads(value)
    except ValueError:
        return default


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _num(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) or math.isinf(x) else x


def _int(value: Any) -> int | None:
    x = _num(value)
    return None if x is None else int(x)


def _iso(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).isoformat()
