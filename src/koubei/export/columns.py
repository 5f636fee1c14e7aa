"""The export's columns, sheet names and fixed texts, in Chinese and English, in one place.

Every table format (xlsx, csv, md) writes :data:`ISSUE_COLUMNS` in this order,
headed by the ``zh`` or ``en`` header; JSON uses the keys.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")

#: (key, zh header, en header) of the issue table, in output order
ISSUE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("issue_id", "问题编号", "Issue ID"),
    ("status", "状态", "Status"),
    ("topic_zh", "主题", "Topic (Chinese)"),
    ("topic_en", "主题(英文)", "Topic"),
    ("dimension", "服务维度", "Service dimension"),
    ("direction", "口味方向", "Taste direction"),
    ("product", "商品", "Product"),
    ("supplier", "供应商", "Supplier"),
    ("cell_label", "分组", "Cell"),
    ("window", "窗口", "Window"),
    ("count", "条数", "Complaints"),
    ("total", "评论数", "Reviews"),
    ("rate", "比例", "Rate"),
    ("baseline_rate", "基线比例", "Baseline rate"),
    ("lift", "倍数", "Lift"),
    ("q_value", "显著性(q)", "Significance (q)"),
    ("severity", "严重度", "Severity"),
    ("first_window", "首次出现", "First window"),
    ("trend", "趋势", "Trend"),
    ("quote_1", "代表评论1", "Quote 1"),
    ("quote_2", "代表评论2", "Quote 2"),
    ("quote_3", "代表评论3", "Quote 3"),
    ("team", "建议负责团队", "Suggested team"),
    ("summary", "摘要", "Summary"),
)

#: what each column means, for the method sheet of the export (readers: docs/reference/output-columns.md)
COLUMN_NOTES: dict[str, tuple[str, str]] = {
    "issue_id": ("问题的稳定编号（KB- 加 10 位十六进制），跨运行不变",
                 "stable id (KB- + 10 hex digits), the same across runs"),
    "status": ("新增、持续、已解决或已静音",
               "new, ongoing, resolved or muted"),
    "topic_zh": ("投诉主题的中文名（口味问题含方向，如 口味·太淡）",
                 "Chinese name of the complaint key (口味·太淡)"),
    "topic_en": ("投诉主题的英文名",
                 "English name of the complaint key"),
    "dimension": ("主题所属的服务维度",
                  "the topic's service dimension"),
    "direction": ("口味问题的方向（太淡、太咸…），其他主题为空",
                  "taste direction (too bland...), empty for other topics"),
    "product": ("问题所在商品；分组未固定商品时取追溯中占比≥50%的商品并注明",
                "the product; when the cell does not fix it, the traced product holding ≥ 50 %, "
                "marked as traced"),
    "supplier": ("问题所在供应商；规则同商品",
                 "the supplier; same rule as product"),
    "cell_label": ("检测分组（全部、供应商、供应商/商品）",
                   "the cell tested (全部 = everything, supplier, supplier / product)"),
    "window": ("最近一次被标记的时间窗口",
               "the latest window the issue was flagged in"),
    "count": ("该窗口内该投诉的条数（漂移检验为近 3 个窗口合计）",
              "complaints in that window (pooled over 3 windows for a drift)"),
    "total": ("同期可计数评论数",
              "countable reviews in the same windows"),
    "rate": ("条数 / 评论数",
             "complaints / reviews"),
    "baseline_rate": ("检验所用的基线比例",
                      "the baseline rate tested against"),
    "lift": ("比例 / 基线比例",
             "rate / baseline rate"),
    "q_value": ("Benjamini–Hochberg q 值，越小越显著",
                "Benjamini–Hochberg q, smaller is more significant"),
    "severity": ("0–100：超出条数 50 分、倍数 30 分、显著性 20 分",
                 "0-100: 50 from excess complaints, 30 from lift, 20 from q"),
    "first_window": ("本轮问题开始的窗口：自上次变为新增以来各次标记中最早的持续升高起点",
                     "where the issue's current episode began: the earliest start of the run of "
                     "elevated windows among its flags since it last became new"),
    "trend": ("近 12 个窗口的投诉条数，逗号分隔（可作迷你图）",
              "complaints in the last 12 windows, comma-separated (sparkline data)"),
    "quote_1": ("代表评论（个人信息已遮蔽）",
                "a representative quote (personal data masked)"),
    "quote_2": ("代表评论",
                "a representative quote"),
    "quote_3": ("代表评论",
                "a representative quote"),
    "team": ("按团队映射文件（主题 → 团队）建议的负责团队",
             "suggested owner from the teams file (topic → team)"),
    "summary": ("可直接粘贴到工单的一行纯文本（无链接）",
                "one plain-text line, no links, to paste into a ticket"),
}

REVIEW_ID_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("issue_id", "问题编号", "Issue ID"),
    ("review_id", "评论编号", "Review ID"),
)
SUMMARY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("supplier", "供应商", "Supplier"),
    ("product", "商品", "Product"),
    ("issues", "问题数", "Issues"),
    ("complaints", "投诉条数", "Complaints"),
    ("max_severity", "最高严重度", "Max severity"),
    ("topics", "主题", "Topics"),
)
SHEETS: dict[str, tuple[str, str]] = {
    "issues": ("问题列表", "issues"),
    "summary": ("汇总", "summary"),
    "method": ("方法说明", "method"),
    "review_ids": ("评论编号", "review_ids"),
}
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "new": ("新增", "new"),
    "ongoing": ("持续", "ongoing"),
    "resolved": ("已解决", "resolved"),
    "muted": ("已静音", "muted"),
}
NO_ISSUES: tuple[str, str] = ("没有问题（按所选条件）", "no issues (with the filters given)")
UNSPECIFIED: tuple[str, str] = ("（未固定）", "(any)")
TRACED: tuple[str, str] = ("追溯", "traced")


def pick(pair: tuple[str, str], lang: Lang) -> str:
    """The Chinese or English member of a ``(zh, en)`` pair."""
    return pair[0] if lang == "zh" else pair[1]


def headers(columns: tuple[tuple[str, str, str], ...], lang: Lang) -> list[str]:
    """The headers of ``columns`` in ``lang``."""
    return [zh if lang == "zh" else en for _, zh, en in columns]


def keys(columns: tuple[tuple[str, str, str], ...]) -> list[str]:
    """The keys of ``columns``."""
    return [k for k, _, _ in columns]
