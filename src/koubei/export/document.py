"""What every export format writes: the records, a per supplier × product summary, method notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from koubei.export.columns import COLUMN_NOTES, ISSUE_COLUMNS, NO_ISSUES, UNSPECIFIED, Lang, pick
from koubei.export.rows import TRACE_MIN_SHARE


@dataclass(frozen=True)
class ExportDoc:
    """The content of one export, independent of its format.

    Attributes:
        records: one JSON-ready dict per issue (see :func:`koubei.export.rows.build_records`).
        lang: ``zh`` or ``en``: headers, sheet names, labels.
        filters: the filters applied, as written to the JSON ``filters`` object.
        generated_at: ISO 8601 time of the export.
        version: the koubei version.
        store: the store file read.
        runs: the store's recorded runs (``runs`` table rows), for the method notes.
    """

    records: list[dict[str, Any]]
    lang: Lang
    filters: dict[str, Any]
    generated_at: str
    version: str
    store: str
    runs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def no_issues(self) -> str:
        """The note written instead of rows when nothing is left."""
        return pick(NO_ISSUES, self.lang)


def summary_rows(doc: ExportDoc) -> list[dict[str, Any]]:
    """Per supplier × product: issues, complaints, highest severity, topics (most severe first)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for rec in doc.records:
        groups.setdefault((rec["supplier"], rec["product"]), []).append(rec)
    name = "topic_zh" if doc.lang == "zh" else "topic_en"
    rows = []
    for (supplier, product), recs in groups.items():
        sevs = [r["severity"] for r in recs if r["severity"] is not None]
        rows.append({
            "supplier": supplier or pick(UNSPECIFIED, doc.lang),
            "product": product or pick(UNSPECIFIED, doc.lang),
            "issues": len(recs), "complaints": sum(r["count"] or 0 for r in recs),
            "max_severity": max(sevs) if sevs else None,
            "topics": ("、" if doc.lang == "zh" else ", ").join(dict.fromkeys(r[name] for r in recs)),
        })
    return sorted(rows, key=lambda r: (-(r["max_severity"] or -1.0), -r["issues"],
                                       r["supplier"], r["product"]))


def method_rows(doc: ExportDoc) -> list[tuple[str, str]]:
    """(item, explanation) lines of the method sheet/section, in ``doc.lang``."""
    zh = doc.lang == "zh"
    f = doc.filters
    rows = [
        ("生成时间" if zh else "Generated at", doc.generated_at),
        ("koubei 版本" if zh else "koubei version", doc.version),
        ("问题库" if zh else "Issue store", doc.store),
        ("问题数" if zh else "Issues", str(len(doc.records))),
        ("筛选条件" if zh else "Filters", filters_text(f, zh)),
        *_runs_rows(doc.runs, zh),
        *_how_rows(zh),
        ("个人信息遮蔽" if zh else "Masking", _mask_text(bool(f.get("mask", True)), zh)),
        ("公式防护" if zh else "Formula protection",
         "以 = + - @、制表符或回车开头的文本：CSV 中加前导单引号（'），"
         "Excel 中写为文本单元格（引号前缀），不会被当作公式"
         if zh else "text starting with = + - @, tab or CR gets a leading apostrophe (') in CSV and is a "
         "quote-prefixed text cell in Excel: never evaluated as a formula"),
    ]
    rows += [(f"列：{zh_h}" if zh else f"Column: {en_h}", pick(COLUMN_NOTES[key], doc.lang))
             for key, zh_h, en_h in ISSUE_COLUMNS]
    return rows


def filters_text(f: dict[str, Any], zh: bool) -> str:
    """The filters of an export as one line."""
    status = ", ".join(f.get("status") or []) or ("除已静音外的全部状态" if zh else "every state but muted")
    parts = [f"{'状态' if zh else 'status'}: {status}"]
    if f.get("min_severity") is not None:
        parts.append(f"{'最低严重度' if zh else 'min severity'}: {f['min_severity']:g}")
    if f.get("since"):
        parts.append(f"{'起始' if zh else 'since'}: {f['since']}")
    return "; ".join(parts)


def _runs_rows(runs: list[dict[str, Any]], zh: bool) -> list[tuple[str, str]]:
    if not runs:
        return [("检测运行" if zh else "Detection runs",
                 "问题库中没有记录运行" if zh else "no run recorded in the store")]
    last = runs[-1]
    text = (f"{len(runs)} 次，最近一次 {last['recorded_at']}（频率 {last['freq']}，分组 {last['levels']}，"
            f"连续 {last['resolve_after']} 个无标记窗口后视为已解决）" if zh else
            f"{len(runs)}; latest {last['recorded_at']} (freq {last['freq']}, levels {last['levels']}, "
            f"resolved after {last['resolve_after']} clean windows)")
    return [("检测运行" if zh else "Detection runs", text)]


def _how_rows(zh: bool) -> list[tuple[str, str]]:
    from koubei.detect.config import EmergingConfig

    c = EmergingConfig()
    if zh:
        return [
            ("如何发现问题", "每个投诉主题（及口味方向）在每个分组、每个窗口中与其过去 "
             f"{c.baseline_windows} 个窗口比较：突增检验（本窗口，beta-二项预测分布）与漂移检验（近 "
             f"{c.drift_windows} 个窗口合并）；按 Benjamini–Hochberg 控制误报率"),
            ("阈值", f"至少 {c.min_count} 条投诉、倍数至少 {c.min_lift:g}、q ≤ {c.max_q:g}"
             "（koubei emerging 的默认值；"
             "问题库不记录每次运行所用的阈值，运行时可能用 --min-count/--max-q 改过）"),
            ("商品与供应商", "取自分组；分组未固定时，取追溯中占投诉 "
             f"≥ {TRACE_MIN_SHARE:.0%} 的值并注明“追溯”"),
        ]
    return [
        ("How issues are found", "each complaint topic (and taste direction) in each cell and window is "
         f"compared with its past {c.baseline_windows} windows: a spike test (this window, beta-binomial "
         f"predictive) and a drift test (the last {c.drift_windows} windows pooled); false discoveries "
         "controlled with Benjamini–Hochberg"),
        ("Thresholds", f"at least {c.min_count} complaints, lift at least {c.min_lift:g}, q ≤ {c.max_q:g} "
         "(koubei emerging's defaults; the store does not record the thresholds of each run, which "
         "--min-count/--max-q may have changed)"),
        ("Product and supplier", "from the cell; when the cell does not fix them, the traced value holding "
         f"≥ {TRACE_MIN_SHARE:.0%} of the complaints, marked 'traced'"),
    ]


def _mask_text(mask: bool, zh: bool) -> str:
    if mask:
        from koubei.detect.quotes import masked_kinds

        kinds = "、".join(f"{name} {token}" for name, token in masked_kinds())
        return (f"代表评论中的个人信息已遮蔽：{kinds}" if zh else
                f"personal data in quotes is masked: {kinds}")
    return ("未遮蔽（--no-mask）：评论按问题库中记录的原样输出；"
            "只有用 koubei emerging --no-mask 写入的问题库才含未遮蔽内容"
            if zh else "not masked (--no-mask): quotes as recorded in the store, which holds unmasked text "
            "only if it was filled with koubei emerging --no-mask")
