"""Hand-built scored frames for analysis tests: the columns `koubei score` writes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from koubei.taxonomy import load_taxonomy

TAX = load_taxonomy()
MONDAY = pd.Timestamp("2026-06-01", tz="Asia/Shanghai")  # a Monday

PRAISE = ["瓜子很香，颗粒饱满", "包装完好，发货很快", "味道不错，会回购", "性价比高，好吃",
          "物流很快，客服热情"]
BLAND = ["这批瓜子太淡了，一点味道都没有", "淡而无味，像没放盐", "口味变淡了，和以前不一样",
         "没什么味道，太寡淡"]
STALE = ["花生受潮了，不脆", "收到就软了，不新鲜", "有股哈喇味，变质了"]


def review(i: int, when: pd.Timestamp, *, supplier: str = "乙食品厂", product: str = "原味瓜子",
           batch: str = "B1", channel: str = "天猫", topic: str | None = None, direction: str = "",
           text: str | None = None, flags: str = "") -> dict[str, object]:
    row: dict[str, object] = {f"topic_{t}": None for t in TAX.topic_ids}
    if topic:
        row[f"topic_{topic}"] = "neg"
    pool = BLAND if direction == "too_bland" else STALE if topic else PRAISE
    row.update(review_id=f"r{i:06d}", time=when, supplier=supplier, product=product, batch=batch,
               channel=channel, status="ok", flags=flags, sentiment="neg" if topic else "pos",
               topics=f"{topic}:neg" if topic else "", taste_detail=direction,
               text=text or pool[i % len(pool)] + f"（第{i}单）")
    return row


def weekly(weeks: int, per_week: int, rate: float | list[float], *, start: pd.Timestamp = MONDAY,
           topic: str = "taste", direction: str = "too_bland", seed: int = 0, offset: int = 0,
           **cell: str) -> list[dict[str, object]]:
    """``per_week`` reviews a week; a share ``rate`` (per week when a list) complain about ``topic``."""
    rng = np.random.default_rng(seed)
    rates = rate if isinstance(rate, list) else [rate] * weeks
    rows = []
    for w in range(weeks):
        n_bad = int(round(rates[w] * per_week))
        for j in range(per_week):
            when = start + pd.Timedelta(days=7 * w) + pd.Timedelta(minutes=int(rng.integers(0, 7 * 24 * 60)))
            bad = j < n_bad
            rows.append(review(offset + w * per_week + j, when, topic=topic if bad else None,
                               direction=direction if bad and topic == "taste" else "", **cell))
    return rows


def frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df["time"] = pd.to_datetime(df["time"])
    return df
