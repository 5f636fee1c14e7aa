"""Turning a flagged hit into an issue row: counts, trend, trace, quotes, summary."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sklearn.feature_extraction.text import TfidfVectorizer

from koubei.aggregate.windows import window_label
from koubei.detect.counts import Cubes
from koubei.detect.cube import Cube
from koubei.detect.evidence import Evidence, IssueRequest
from koubei.detect.hits import severity
from koubei.detect.keys import Key, issue_id, key_cues, key_labels
from koubei.detect.quotes import representative
from koubei.detect.trace import TraceEntry, headline, rank_values, trace_columns
from koubei.taxonomy import Taxonomy

if TYPE_CHECKING:
    from koubei.detect.config import EmergingConfig
    from koubei.detect.hits import Hit

COLUMN_ZH = {"supplier": "供应商", "product": "商品", "batch": "批次", "channel": "渠道",
             "supplier+product": "供应商/商品"}
ALL_LABEL = "全部"


class IssueBuilder:
    """Builds issue rows (the columns of :data:`koubei.schema.ISSUE_COLUMNS`) from hits.

    A hit says what to read (:meth:`request`); the rows' answer
    (:class:`koubei.detect.evidence.Evidence`) and the cubes make the row (:meth:`build`).

    Args:
        cubes: the counts the hits were flagged on.
        with_values: the trace candidates that hold values (see :func:`koubei.detect.trace.trace_columns`).
    """

    def __init__(self, cubes: Cubes, with_values: Sequence[str], taxonomy: Taxonomy, cfg: EmergingConfig,
                 mask: bool) -> None:
        self.cubes, self.index, self.freq = cubes.cubes, cubes.index, cubes.freq
        self.keys, self.with_values, self.tax = cubes.keys, with_values, taxonomy
        self.cfg, self.mask = cfg, mask

    def request(self, hit: Hit) -> IssueRequest:
        """The rows ``hit`` needs: its cell's rows in its window(s) and their baseline windows."""
        cube = self.cubes[hit.level]
        first = hit.t - self.cfg.drift_windows + 1 if hit.test == "drift" else hit.t
        return IssueRequest(level=cube.level, cell=cube.cell_value(hit.cell), key=self.keys[hit.key],
                            base_from=self.index[max(first - self.cfg.baseline_windows, 0)],
                            now_from=self.index[max(first, 0)], now_to=self.index[hit.t],
                            trace=tuple(trace_columns(self.with_values, cube.level)))

    def build(self, hit: Hit, evidence: Evidence) -> dict[str, object]:
        """The issue row of ``hit``, given the :meth:`request`'s evidence."""
        cube = self.cubes[hit.level]
        key = self.keys[hit.key]
        cell = cube.cell_value(hit.cell)
        entries = rank_values(evidence.trace, hit.baseline_rate, prior_strength=self.cfg.prior_strength)
        zh, dim = key_labels(key, self.tax)
        lift = (hit.count / hit.total) / max(hit.baseline_rate, 1e-9)
        label = " / ".join(cell.values()) if cell else ALL_LABEL
        window = str(window_label(self.index[hit.t], self.freq))
        return {
            "issue_id": issue_id(self.freq, key, cell), "topic": key.topic, "topic_zh": zh,
            "direction": key.direction, "dimension": dim, "level": ",".join(cube.level),
            "cell": json.dumps(cell, ensure_ascii=False), "cell_label": label,
            "freq": self.freq.value, "window": window, "window_start": self.index[hit.t],
            "count": int(hit.count), "total": int(hit.total), "rate": hit.count / hit.total,
            "baseline_rate": hit.baseline_rate, "expected": hit.expected, "lift": lift,
            "test": hit.test, "p_value": hit.p, "q_value": hit.q,
            "severity": severity(hit.excess, lift, hit.q),
            "first_window": self._first_window(cube, hit),
            "trend": json.dumps(self._trend(cube, hit), ensure_ascii=False),
            "trace": json.dumps([e.as_dict() for e in entries], ensure_ascii=False),
            "summary": self._summary(zh, key, label, window, hit, lift, entries),
            "quotes": json.dumps(self._quotes(evidence.texts, key), ensure_ascii=False),
            "review_ids": json.dumps(evidence.review_ids, ensure_ascii=False),
        }

    def _first_window(self, cube: Cube, hit: Hit) -> str:
        """The earliest window of the unbroken run of elevated windows ending at ``hit.t``."""
        t = hit.t
        floor = self.cfg.min_lift * hit.baseline_rate
        while t - 1 >= 0 and t > hit.t - self.cfg.trend_windows:
            n, c = cube.totals[hit.cell, t - 1], cube.counts[hit.cell, t - 1, hit.key]
            if c < 1 or c / n < floor:
                break
            t -= 1
        return str(window_label(self.index[t], self.freq))

    def _trend(self, cube: Cube, hit: Hit) -> list[dict[str, object]]:
        a = max(0, hit.t - self.cfg.trend_windows + 1)
        return [{"window": str(window_label(self.index[t], self.freq)),
                 "count": int(cube.counts[hit.cell, t, hit.key]), "total": int(cube.totals[hit.cell, t])}
                for t in range(a, hit.t + 1)]

    def _quotes(self, texts: list[str], key: Key) -> list[str]:
        """Typical quotes of the issue's complaints, each shown from the clause with its cue."""
        anchor = key_cues(key, self.tax)
        if len(texts) < 2:
            return representative(texts, n=self.cfg.n_quotes, mask=self.mask, anchor=anchor)
        vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), min_df=1).fit_transform(texts)
        return representative(texts, vec.toarray(), n=self.cfg.n_quotes, mask=self.mask, anchor=anchor)

    def _summary(self, zh: str, key: Key, label: str, window: str, hit: Hit, lift: float,
                 entries: list[TraceEntry]) -> str:
        span = f"近{self.cfg.drift_windows}个窗口至 {window}" if hit.test == "drift" else window
        line = (f"{zh} ({key.name}) {label}: {span} {int(hit.count)} 条 / {int(hit.total)} 条评论 "
                f"({hit.count / hit.total:.0%}, 基线 {hit.baseline_rate:.1%}, 预期 {hit.expected:.1f} 条, "
                f"{lift:.1f} 倍)")
        top = headline(entries)
        if top is not None and top.share >= 0.5:
            line += f", {top.share:.0%} 来自{COLUMN_ZH.get(top.column, top.column)} {top.value}"
        return line
