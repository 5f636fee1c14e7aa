"""One alert about one issue: its facts, and the text or Markdown each platform gets.

An :class:`AlertMessage` is built once, when the issue becomes new or escalates
(:func:`issue_facts` from the issue store's row), kept as JSON in the outbox and
rendered when it is sent, in Chinese (default) or English: a title line, severity,
window, complaints out of reviews against the baseline, the trace headline ("100%
来自批次 B2611-02"), the suggested team, up to three masked quotes, the detection
summary, the report's path or address and the issue id.

Customer text (quotes, product and batch names) is shown, never obeyed: links become
``[链接]``, line breaks spaces, and in Markdown the characters that make links,
emphasis, headings, HTML or mentions become their full-width look-alikes, so a review
cannot post a link, ping a channel or break the layout of a team chat.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from koubei.detect.issues import COLUMN_ZH
from koubei.detect.quotes import mask_personal
from koubei.detect.trace import TraceEntry, headline

KINDS: tuple[str, ...] = ("new", "escalated")
MAX_QUOTES = 3
QUOTE_CHARS = 120
SUMMARY_CHARS = 300

_URL = re.compile(r"(?:https?://|ftp://|www\.)\S+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
# Markdown, HTML and mention syntax of WeChat, DingTalk, Feishu and Slack → full-width look-alikes
# (``_`` only at a word's edge: inside snake_case it makes no emphasis, and ids keep reading as ids)
_MD_SAFE = str.maketrans({"*": "＊", "`": "｀", "[": "［", "]": "］", "#": "＃", ">": "＞", "<": "＜",
                          "&": "＆", "~": "～", "|": "｜", "@": "＠", "\\": "＼", "$": "＄"})
_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")

_TEXTS = {
    "zh": {"brand": "口碑预警", "new": "新问题", "escalated": "问题升级", "severity": "严重度",
           "window": "窗口", "since": "始于", "count": "{count} 条 / {total} 条评论（{rate}），基线 {base}",
           "lift": "，{lift:.1f} 倍", "trace": "追溯", "from": "{share:.0%} 来自{column} {value}",
           "team": "建议负责", "quotes": "代表评论", "summary": "摘要", "report": "报告",
           "issue": "问题编号", "sep": "：", "list_sep": "，"},
    "en": {"brand": "koubei alert", "new": "new issue", "escalated": "escalated issue",
           "severity": "Severity", "window": "Window", "since": "since",
           "count": "{count} of {total} reviews ({rate}), baseline {base}", "lift": ", {lift:.1f}×",
           "trace": "Trace", "from": "{share:.0%} from {column} {value}", "team": "Suggested owner",
           "quotes": "Quotes", "summary": "Summary", "report": "Report", "issue": "Issue",
           "sep": ": ", "list_sep": ", "},
}
_COLUMN_EN = {"supplier+product": "supplier / product"}


@dataclass(frozen=True)
class AlertMessage:
    """An alert about one issue, as the outbox keeps it (see :meth:`to_json`).

    Attributes:
        key: the idempotency key: issue, episode and kind (and severity for an
            escalation); one key is sent once per channel.
        kind: ``new`` (first alert of the issue's current episode) or ``escalated``
            (still ongoing, severity up by at least ``escalate_by`` since the last alert).
        facts: the issue's facts (see :func:`issue_facts`), JSON-ready.
        lang: ``zh`` or ``en``, the language it is rendered in (chosen when it is sent).
    """

    key: str
    kind: str
    facts: dict[str, Any] = field(default_factory=dict)
    lang: str = "zh"

    @property
    def issue_id(self) -> str:
        return str(self.facts.get("issue_id", ""))

    def to_json(self) -> str:
        """The message as the outbox keeps it (without ``lang``, chosen when it is sent)."""
        d = asdict(self)
        d.pop("lang")
        return json.dumps(d, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, lang: str = "zh") -> AlertMessage:
        d = json.loads(text)
        return cls(key=str(d["key"]), kind=str(d["kind"]), facts=dict(d["facts"]), lang=lang)

    def title(self) -> str:
        """One line: brand, kind, the complaint and where (plain text)."""
        t, f = _TEXTS[self.lang], self.facts
        topic = f["topic_zh"] if self.lang == "zh" else f["topic_en"]
        return f"{t['brand']}｜{t[self.kind]}{t['sep']}{topic}｜{plain(f['cell_label'])}"

    def text(self) -> str:
        """The message as plain text (e-mail, the generic webhook's ``text``)."""
        return "\n".join([self.title(), "", *self._lines(markdown=False)])

    def markdown(self) -> str:
        """The message as chat Markdown (a bold title, a list, quotes as block quotes)."""
        return "\n".join([f"**{md(self.title())}**", "", *self._lines(markdown=True)])

    def body_markdown(self) -> str:
        """:meth:`markdown` without its title line (for platforms that show the title apart)."""
        return "\n".join(self._lines(markdown=True))

    def _lines(self, *, markdown: bool) -> list[str]:
        lang = self.lang
        t, f = _TEXTS[lang], self.facts
        esc = md if markdown else plain
        bullet = "- " if markdown else ""
        sev = _severity_text(f, self.kind, markdown)
        lines = [f"{bullet}{t['severity']}{t['sep']}{sev}"] if sev else []
        since = f"{t['since']} {f['first_window']}"
        since = f"（{since}）" if lang == "zh" else f" ({since})"
        lines.append(f"{bullet}{t['window']}{t['sep']}{f['window']}"
                     + (since if f.get("first_window") and f["first_window"] != f["window"] else ""))
        if f.get("count") is not None and f.get("total"):
            lift = t["lift"].format(lift=f["lift"]) if _finite(f.get("lift")) else ""
            counts = t["count"].format(count=f["count"], total=f["total"], rate=_pct(f.get("rate")),
                                       base=_pct(f.get("baseline_rate")))
            lines.append(bullet + counts + lift)
        if f.get("trace"):
            tr = f["trace"]
            column = COLUMN_ZH.get(tr["column"], tr["column"]) if lang == "zh" else \
                _COLUMN_EN.get(tr["column"], tr["column"])
            lines.append(f"{bullet}{t['trace']}{t['sep']}"
                         + esc(t["from"].format(share=tr["share"], column=column, value=tr["value"])))
        team = f.get("team_zh" if lang == "zh" else "team_en")
        if team:
            lines.append(f"{bullet}{t['team']}{t['sep']}{esc(team)}")
        quotes = [esc(q) for q in f.get("quotes", [])[:MAX_QUOTES]]
        if quotes:
            lines += ["", f"{t['quotes']}{t['sep']}"]
            lines += [f"> {q}" if markdown else f"  「{q}」" for q in quotes]
        if f.get("summary") and lang == "zh":
            lines += ["", f"{t['summary']}{t['sep']}{esc(f['summary'])}"]
        lines.append("")
        if f.get("report"):
            lines.append(f"{t['report']}{t['sep']}{_report(f['report'], markdown)}")
        lines.append(f"{t['issue']}{t['sep']}{f['issue_id']}")
        return lines


def issue_facts(row: Mapping[str, Any], record: Mapping[str, Any], record_en: Mapping[str, Any], *,
                previous_severity: float | None = None, report: str | None = None) -> dict[str, Any]:
    """The facts an alert shows, from a row of ``IssueStore.list()`` and its export records.

    Args:
        row: the issue store's row (``trace`` JSON, ``summary``...).
        record, record_en: :func:`koubei.export.rows.build_records` of the row in Chinese and
            English (topic names, team, masked quotes).
        previous_severity: the severity of the last alert, for an escalation.
        report: the HTML report's path or published address.
    """
    quotes = [_cut(mask_personal(str(q)), QUOTE_CHARS) for q in record.get("quotes", [])][:MAX_QUOTES]
    return {
        "issue_id": str(record["issue_id"]), "status": str(record.get("status", "")),
        "topic": str(record.get("topic", "")), "topic_zh": str(record["topic_zh"]),
        "topic_en": str(record_en["topic_en"]), "direction": str(record.get("direction", "")),
        "cell_label": str(record.get("cell_label", "")), "level": str(row.get("level", "") or ""),
        "window": str(record.get("window", "")), "first_window": str(record.get("first_window", "")),
        "count": record.get("count"), "total": record.get("total"), "rate": record.get("rate"),
        "baseline_rate": record.get("baseline_rate"), "lift": record.get("lift"),
        "severity": record.get("severity"), "previous_severity": previous_severity,
        "trace": trace_headline(row.get("trace")),
        "team_zh": str(record.get("team", "")), "team_en": str(record_en.get("team", "")),
        "quotes": quotes, "summary": _cut(str(record.get("detection_summary", "") or ""), SUMMARY_CHARS),
        "report": report,
    }


def trace_headline(trace: Any) -> dict[str, Any] | None:
    """The trace's value holding at least half of the complaints (:func:`koubei.detect.trace.headline`)."""
    try:
        entries = json.loads(trace) if isinstance(trace, str) else trace
        found = headline([TraceEntry(**e) for e in entries or []])
    except (TypeError, ValueError):
        return None
    if found is None or found.share < 0.5 or found.lift <= 1:
        return None
    return {"column": found.column, "value": found.value, "share": round(found.share, 3)}


def plain(text: Any) -> str:
    """Customer text on one line, links replaced (``[链接]``)."""
    return _SPACE.sub(" ", _URL.sub("[链接]", str(text))).strip()


def md(text: Any) -> str:
    """:func:`plain`, with Markdown, HTML and mention characters made inert."""
    return _EDGE_UNDERSCORE.sub("＿", plain(text).translate(_MD_SAFE))


def _severity_text(f: Mapping[str, Any], kind: str, markdown: bool) -> str:
    sev = f.get("severity")
    if not _finite(sev):
        return ""
    now = f"**{sev:.0f}**" if markdown else f"{sev:.0f}"
    prev = f.get("previous_severity")
    return f"{prev:.0f} → {now}" if kind == "escalated" and _finite(prev) else now


def _report(where: str, markdown: bool) -> str:
    if where.startswith(("http://", "https://")):
        return f"[{where}]({where})" if markdown else where  # from the config, checked there
    return f"`{where}`" if markdown else where


def _pct(value: Any) -> str:
    return f"{value:.1%}" if _finite(value) else "-"


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _cut(text: str, n: int) -> str:
    text = plain(text)
    return text if len(text) <= n else text[: n - 1] + "…"
