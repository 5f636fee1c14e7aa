"""Turning a flagged hit into an issue row: counts, trend, trace, quotes, summary."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from koubei.aggregate.windows import Freq, window_label
from koubei.detect.cube import Cube
from koubei.detect.keys import Key, key_labels
from koubei.detect.quotes import representative
from koubei.detect.trace import TraceEntry, headline, trace, trace_columns
from koubei.taxonomy import Taxonomy

if TYPE_CHECKING:
    from koubei.detect.emerging import EmergingConfig, Hit

COLUMN_ZH = {"supplier": "供应商", "product": "商品", "batch": "批次", "channel": "渠道",
             "supplier+product": "供应商/商品"}
ALL_LABEL = "全部"


def severity(excess: float, lift: float, q: float) -> float:
    """0-100: half from excess complaints (saturating near 45), 30 from lift (×16 = full), 20 from q."""
    s_excess = 1 - math.exp(-excess / 15)
    s_lift = min(1.0, max(0.0, math.log2(max(lift, 1e-9)) / 4))
    s_q = min(1.0, -math.log10(max(q, 1e-300)) / 6)
    return round(100 * (0.5 * s_excess + 0.3 * s_lift + 0.2 * s_q), 1)


class IssueBuilder:
    """Builds issue rows (the columns of :mod:`koubei.detect.schema`) from hits."""

    def __init__(self, frame: pd.DataFrame, cubes: list[Cube], wpos: np.ndarray, index: pd.DatetimeIndex,
                 freq: Freq, matrix: np.ndarray, keys: list[Key], taxonomy: Taxonomy, cfg: EmergingConfig,
                 trace_extra: tuple[str, ...], mask: bool) -> None:
        self.frame, self.cubes, self.wpos, self.index, self.freq = frame, cubes, wpos, index, freq
        self.matrix, self.keys, self.tax, self.cfg = matrix, keys, taxonomy, cfg
        self.trace_extra, self.mask = trace_extra, mask
        self.texts = frame["text"].astype(str) if "text" in frame else frame["review_id"].astype(str)

    def build(self, hit: Hit) -> dict[str, object]:
        from koubei.detect.emerging import issue_id

        cube = self.cubes[hit.level]
        key = self.keys[hit.key]
        cell = cube.cell_value(hit.cell)
        first = hit.t - self.cfg.drift_windows + 1 if hit.test == "drift" else hit.t
        in_cell = cube.cell_of_row == hit.cell
        now = in_cell & (self.wpos >= first) & (self.wpos <= hit.t)
        base = in_cell & (self.wpos >= first - self.cfg.baseline_windows) & (self.wpos < first)
        k = self.matrix[:, hit.key].astype(bool)
        entries = self._trace(cube.level, now, base, hit)
        zh, dim = key_labels(key, self.tax)
        lift = (hit.count / hit.total) / max(hit.baseline_rate, 1e-9)
        rows = self.frame.loc[now & k]
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
            "quotes": json.dumps(self._quotes(rows), ensure_ascii=False),
            "review_ids": json.dumps(rows["review_id"].astype(str).tolist(), ensure_ascii=False),
        }

    def _trace(self, level: tuple[str, ...], now: np.ndarray, base: np.ndarray, hit: Hit) -> list[TraceEntry]:
        cols = trace_columns(self.frame, level, self.trace_extra)
        if not cols:
            return []
        k = self.matrix[:, hit.key]
        return trace(self.frame.loc[now], self.frame.loc[base], k[now], k[base], cols,
                     hit.baseline_rate, prior_strength=self.cfg.prior_strength)

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

    def _quotes(self, rows: pd.DataFrame) -> list[str]:
        texts = self.texts.loc[rows.index].tolist()
        if len(texts) < 2:
            return representative(texts, n=self.cfg.n_quotes, mask=self.mask)
        vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), min_df=1).fit_transform(texts)
        return representative(texts, vec.toarray(), n=self.cfg.n_quotes, mask=self.mask)

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
