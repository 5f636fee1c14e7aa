"""Row keys (what makes a review "already in the history"), the feed listing and alert planning."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from koubei.io import read_reviews
from koubei.io.annotate import KeyCounts
from koubei.monitor.feed import list_feed, row_keys
from koubei.monitor.notify import Memory, plan_alerts
from koubei.monitor.watch import parse_interval

ROWS = [  # (text, time, product) written by customers, two of them the same short text on two days
    ("好吃", "2026-11-02 10:00:00", "原味瓜子"),
    ("味道太淡了，像没放盐", "2026-11-02 11:00:00", "原味瓜子"),
    ("好吃", "2026-11-03 09:30:00", "原味瓜子"),
    ("包装破了，撒了一袋子", "2026-11-03 12:00:00", "蜂蜜黄油薯片"),
    ("包装破了，撒了一袋子", "2026-11-03 12:00:00", "蜂蜜黄油薯片"),  # the same row twice
]


def keys_of(rows: Sequence[tuple[str, ...]], tmp_path: Path, name: str, chunk: int = 100) -> np.ndarray:
    path = tmp_path / name
    pd.DataFrame(rows, columns=["评论内容", "评论时间", "商品"]).to_csv(path, index=False)
    counts = KeyCounts()
    frame = read_reviews(path)
    return np.concatenate([row_keys(frame.iloc[i:i + chunk], counts) for i in range(0, len(frame), chunk)])


def test_each_review_has_its_own_key_even_when_its_text_repeats(tmp_path: Path) -> None:
    keys = keys_of(ROWS, tmp_path, "a.csv")
    assert len(set(keys.tolist())) == 5


def test_keys_survive_a_reexport_in_another_order_and_chunking(tmp_path: Path) -> None:
    first = keys_of(ROWS[:3], tmp_path, "a.csv")
    again = keys_of([ROWS[4], ROWS[2], ("新的一条：太咸了", "2026-11-04 08:00:00", "原味瓜子"), *ROWS[:2],
                     ROWS[3]], tmp_path, "b.csv", chunk=2)
    assert set(first.tolist()) <= set(again.tolist())
    assert len(set(again.tolist()) - set(first.tolist())) == 3  # two 包装破了 rows and the new one


def test_a_source_id_is_the_key_whatever_else_changes(tmp_path: Path) -> None:
    a = pd.DataFrame({"评论ID": ["JD1", "JD2"], "评论内容": ["好吃", "好吃"],
                      "评论时间": ["2026-11-02", "2026-11-03"]})
    b = a.assign(评论时间=["2026-11-05", "2026-11-06"])  # re-exported with other times
    keys = []
    for name, df in (("a.csv", a), ("b.csv", b)):
        df.to_csv(tmp_path / name, index=False)
        keys.append(row_keys(read_reviews(tmp_path / name), KeyCounts()).tolist())
    assert keys[0] == keys[1] and len(set(keys[0])) == 2


def test_the_feed_listing_skips_hidden_lock_settling_and_own_files(tmp_path: Path) -> None:
    feed = tmp_path / "feed"
    feed.mkdir()
    for name in ("b.csv", "a.xlsx", ".hidden.csv", "~$a.xlsx", "notes.pdf", "issues.csv", "new.csv"):
        (feed / name).write_text("x")
    old = 1_700_000_000
    for p in feed.iterdir():
        os.utime(p, (old, old))
    files, settling = list_feed(["feed"], tmp_path, settle_seconds=60, exclude=[feed / "issues.csv"],
                                now=old + 30)
    assert files == [] and [p.name for p in settling] == ["a.xlsx", "b.csv", "new.csv"]
    files, settling = list_feed(["feed"], tmp_path, settle_seconds=60, exclude=[feed / "issues.csv"],
                                now=old + 3600)
    assert [f.path.name for f in files] == ["a.xlsx", "b.csv", "new.csv"] and settling == []
    files, _ = list_feed(["feed/*.csv"], tmp_path, settle_seconds=0, now=old + 3600)
    assert [f.path.name for f in files] == ["b.csv", "issues.csv", "new.csv"]


def test_a_missing_feed_folder_is_an_input_error(tmp_path: Path) -> None:
    from koubei.errors import InputError

    with pytest.raises(InputError, match=r"feed: no such file or folder; create it, or fix \[input\] path"):
        list_feed(["feed"], tmp_path)


def issues(*rows: tuple[str, str, float | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["issue_id", "status", "severity"])


def test_plan_new_once_then_quiet_then_escalated() -> None:
    plans, mem = plan_alerts(issues(("KB-1", "new", 50.1)), {}, threshold=0, escalate_by=10)
    assert [(p.kind, p.key) for p in plans] == [("new", "KB-1:e1:new")]
    assert mem == {"KB-1": Memory(1, True, 50.1)}
    plans, mem2 = plan_alerts(issues(("KB-1", "ongoing", 58.0)), mem, threshold=0, escalate_by=10)
    assert plans == [] and mem2 == {}
    plans, mem3 = plan_alerts(issues(("KB-1", "ongoing", 80.9)), mem, threshold=0, escalate_by=10)
    assert [(p.kind, p.key, p.previous) for p in plans] == [("escalated", "KB-1:e1:escalated:80.9", 50.1)]
    assert mem3["KB-1"] == Memory(1, True, 80.9)


def test_plan_muted_never_and_a_comeback_is_a_new_episode() -> None:
    mem = {"KB-1": Memory(1, True, 50.0)}
    assert plan_alerts(issues(("KB-1", "muted", 99.0)), mem, threshold=0, escalate_by=10) == ([], {})
    plans, mem = plan_alerts(issues(("KB-1", "resolved", 50.0)), mem, threshold=0, escalate_by=10)
    assert plans == [] and mem["KB-1"] == Memory(1, False, 50.0)
    plans, mem = plan_alerts(issues(("KB-1", "new", 40.0)), mem, threshold=0, escalate_by=10)
    assert [p.key for p in plans] == ["KB-1:e2:new"]


def test_plan_threshold_and_issues_without_severity() -> None:
    rows = issues(("KB-1", "new", 30.0), ("KB-2", "new", None))  # KB-2: a new kind of complaint
    assert [p.issue_id for p in plan_alerts(rows, {}, threshold=0, escalate_by=10)[0]] == ["KB-1", "KB-2"]
    plans, mem = plan_alerts(rows, {}, threshold=40, escalate_by=10)
    assert plans == [] and mem["KB-1"] == Memory(1, True, None)  # remembered, not alerted
    plans, _ = plan_alerts(issues(("KB-1", "ongoing", 45.0)), mem, threshold=40, escalate_by=10)
    assert [(p.kind, p.key) for p in plans] == [("new", "KB-1:e1:new")]  # first alert when it crosses


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("15m", 900), ("1h", 3600), ("1h30m", 5400),
                                               ("1d", 86400), ("0.5h", 1800)])
def test_parse_interval(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "1x", "h", "10", "0s", "1h 2"])
def test_parse_interval_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="duration|shorter"):
        parse_interval(text)
