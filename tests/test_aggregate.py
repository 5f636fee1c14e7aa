"""``koubei aggregate``: counts, rates, windows, 满意率, errors and the CLI, on hand-built scored frames."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from koubei.aggregate import (
    aggregate,
    aggregate_file,
    aggregate_report,
    detect_rating_scale,
    wilson_interval,
)
from koubei.cli import app
from koubei.errors import ColumnError, InputError, InputFormatError, OutputError
from koubei.taxonomy import load_taxonomy

TOPICS = load_taxonomy().topic_ids
ZH = {t.id: t.zh for t in load_taxonomy().topics}
runner = CliRunner()


def review(text: str, time: str | None = "2026-11-03 10:00", *, sentiment: str = "pos",
           topics: dict[str, str] | None = None, opinions: dict[str, str] | None = None,
           taste: str = "", rating: float | None = 5.0, supplier: str = "甲食品厂",
           product: str = "原味瓜子", status: str = "ok", flags: str = "",
           score: float | None = None) -> dict[str, Any]:
    """One scored row as ``koubei score`` writes it."""
    topics = topics or {}
    scored = status == "ok" and "templated" not in flags
    row: dict[str, Any] = {
        "review_id": "", "text": text, "product": product, "supplier": supplier,
        "batch": "B2611-01", "channel": "美团", "rating": rating, "status": status, "flags": flags,
        "time": pd.Timestamp(time, tz="Asia/Shanghai") if time else pd.NaT,
        "sentiment": sentiment if scored else None,
        "sentiment_score": (score if score is not None else {"pos": 0.9, "neu": 0.55, "neg": 0.1}[sentiment])
        if scored else None,
    }
    for tid in TOPICS:
        row[f"topic_{tid}"] = topics.get(tid) if scored else None
    row["topics"] = ";".join(f"{t}:{p}" for t, p in topics.items()) if scored else None
    row["dimensions"] = ""
    row["taste_detail"] = taste if scored else None
    row["opinions"] = ";".join(f"{ZH[t]}:{o}" for t, o in (opinions or {}).items()) if scored else None
    row["is_complaint"] = scored and (sentiment == "neg" or "neg" in topics.values())
    return row


def frame(*rows: dict[str, Any]) -> pd.DataFrame:
    df = pd.DataFrame(list(rows))
    df["review_id"] = [f"r{i:03d}" for i in range(len(df))]
    df["time"] = pd.to_datetime(df["time"]).dt.tz_convert("Asia/Shanghai")
    for col in ["sentiment", "topics", "taste_detail", "opinions"] + [f"topic_{t}" for t in TOPICS]:
        df[col] = df[col].astype("string")
    return df


SALTY = review("这次的瓜子太咸了，齁得慌", sentiment="neg", topics={"taste": "neg"},
               opinions={"taste": "太咸了"}, taste="too_salty", rating=1.0)
BLAND = review("味道太淡了，一点都不入味", sentiment="neg", topics={"taste": "neg"},
               opinions={"taste": "太淡了"}, taste="too_bland", rating=2.0)
BOTH = review("有的太淡有的又太咸，包装还漏气", sentiment="neg",
              topics={"taste": "neg", "packaging": "neg"}, opinions={"taste": "太淡了", "packaging": "漏气"},
              taste="too_bland;too_salty", rating=2.0)
FAST = review("送得很快，但是味道太淡了", sentiment="neu",
              topics={"delivery_logistics": "pos", "taste": "neg"},
              opinions={"delivery_logistics": "很快", "taste": "太淡了"}, taste="too_bland", rating=3.0)
GOOD = review("很好吃，会回购", topics={"taste": "pos"}, opinions={"taste": "很好吃"}, rating=5.0)


def sample() -> pd.DataFrame:
    return frame(SALTY, BLAND, BOTH, FAST, GOOD, GOOD)


def test_overall_row_exact_counts_rates_and_opinions() -> None:
    t = aggregate(sample())
    assert len(t) == 1
    r = t.iloc[0]
    assert r["window"] == "all" and "window_start" not in t.columns
    assert (r["reviews"], r["pos"], r["neu"], r["neg"]) == (6, 2, 1, 3)
    assert r["pos_rate"] == pytest.approx(2 / 6) and r["neg_rate"] == pytest.approx(0.5)
    lo, hi = wilson_interval(3, 6)
    assert (r["neg_rate_lo"], r["neg_rate_hi"]) == (pytest.approx(float(lo)), pytest.approx(float(hi)))
    assert r["net_sentiment"] == pytest.approx((2 - 3) / 6)
    assert r["mean_sentiment_score"] == pytest.approx((0.1 * 3 + 0.55 + 0.9 * 2) / 6)
    assert r["complaints"] == 4
    assert (r["taste_complaints"], r["packaging_complaints"], r["delivery_logistics_complaints"]) == (4, 1, 0)
    assert r["taste_complaint_rate"] == pytest.approx(4 / 6)
    assert r["top_opinions"] == "口味:太淡了(3); 包装:漏气(1); 口味:太咸了(1)"  # ties: code-point order
    assert list(t.columns[:17]) == [
        "window", "reviews", "pos", "neu", "neg", "pos_rate", "neg_rate", "neg_rate_lo", "neg_rate_hi",
        "mean_sentiment_score", "net_sentiment", "rated", "satisfaction_rate", "satisfaction_lo",
        "satisfaction_hi", "complaints", "taste_complaints"]
    assert t.columns[-1] == "top_opinions"


def test_top_opinions_limit_and_zero() -> None:
    assert aggregate(sample(), top_opinions=1).iloc[0]["top_opinions"] == "口味:太淡了(3)"
    assert aggregate(sample(), top_opinions=0).iloc[0]["top_opinions"] == ""


def test_taste_directions_count_each_of_several() -> None:
    r = aggregate(sample()).iloc[0]
    assert (r["taste_too_bland"], r["taste_too_salty"], r["taste_too_oily"]) == (3, 2, 0)
    directions = [c for c in aggregate(sample()).columns if c.startswith("taste_") and "complaint" not in c]
    assert directions == [f"taste_{d}" for d in load_taxonomy().direction_ids]


def test_wilson_interval_known_value() -> None:
    lo, hi = wilson_interval(2, 10)
    assert (round(float(lo), 4), round(float(hi), 4)) == (0.0567, 0.5098)
    rows = [review("太咸了", sentiment="neg")] * 2 + [review("好吃")] * 8
    r = aggregate(frame(*rows)).iloc[0]
    assert (round(r["neg_rate_lo"], 4), round(r["neg_rate_hi"], 4)) == (0.0567, 0.5098)
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


def test_flagged_and_unscored_rows_are_not_counted() -> None:
    df = frame(
        GOOD, SALTY,
        review("此用户没有填写评价内容", flags="templated"),
        review("这次的瓜子太咸了，齁得慌", flags="duplicate", sentiment="neg"),
        review("这次的瓜子太咸了！！齁得慌", flags="near_duplicate", sentiment="neg"),
        review("此用户没有填写评价内容", flags="duplicate;templated"),
        review("", status="empty"),
        review("🐼🐼", status="non_text"),
    )
    t = aggregate(df)
    assert t.iloc[0]["reviews"] == 2 and t.iloc[0]["neg"] == 1
    rep = aggregate_report(df)
    assert (rep.rows_read, rep.rows_counted) == (8, 2)
    assert rep.excluded == {"non_ok_status": 2, "templated": 2, "duplicate": 1, "near_duplicate": 1}


def test_monday_week_boundary_in_shanghai() -> None:
    df = frame(review("周日晚上买的，很好吃", "2026-11-29 23:59"),
               review("周一早上到的，太咸了", "2026-11-30 00:00", sentiment="neg"))
    t = aggregate(df, freq="W")
    assert list(t["window"]) == ["2026-W48", "2026-W49"]
    assert list(t["window_start"]) == [pd.Timestamp("2026-11-23", tz="Asia/Shanghai"),
                                       pd.Timestamp("2026-11-30", tz="Asia/Shanghai")]
    assert list(t["reviews"]) == [1, 1] and list(t["neg"]) == [0, 1]


def test_utc_times_are_cut_in_the_files_zone(tmp_path: Path) -> None:
    df = frame(review("很好吃", "2026-11-29 23:59"), review("太咸了", "2026-11-30 00:00"))
    df["time"] = df["time"].dt.tz_convert("UTC")  # 2026-11-29 16:00 UTC is Monday 00:00 in Shanghai
    df.to_parquet(tmp_path / "scored.parquet")
    res = aggregate_file(tmp_path / "scored.parquet", tmp_path / "w.csv", freq="W")
    assert list(res.table["window"]) == ["2026-W48", "2026-W49"]
    res = aggregate_file(tmp_path / "scored.parquet", tmp_path / "u.csv", freq="W", tz="UTC")
    assert list(res.table["window"]) == ["2026-W48"]


def test_day_and_month_windows() -> None:
    df = frame(review("好吃", "2026-10-31 23:59"), review("好吃", "2026-11-01 00:00"),
               review("好吃", "2026-11-02"))
    assert list(aggregate(df, freq="D")["window"]) == ["2026-10-31", "2026-11-01", "2026-11-02"]
    m = aggregate(df, freq="M")
    assert list(m["window"]) == ["2026-10", "2026-11"] and list(m["reviews"]) == [1, 2]


def test_empty_windows_for_time_only_and_every_group() -> None:
    df = frame(review("好吃", "2026-11-02", supplier="甲食品厂"),
               review("太咸了", "2026-11-17", supplier="乙食品厂", sentiment="neg"))
    t = aggregate(df, freq="W")
    assert list(t["window"]) == ["2026-W45", "2026-W46", "2026-W47"]
    assert list(t["reviews"]) == [1, 0, 1]
    assert math.isnan(t.loc[1, "neg_rate"]) and math.isnan(t.loc[1, "neg_rate_lo"])
    assert t.loc[1, "top_opinions"] == "" and t.loc[1, "taste_too_salty"] == 0
    g = aggregate(df, by=["supplier"], freq="W")
    assert list(zip(g["supplier"], g["window"], g["reviews"])) == [
        ("乙食品厂", "2026-W45", 0), ("乙食品厂", "2026-W46", 0), ("乙食品厂", "2026-W47", 1),
        ("甲食品厂", "2026-W45", 1), ("甲食品厂", "2026-W46", 0), ("甲食品厂", "2026-W47", 0)]
    assert g["reviews"].dtype == np.int64


def test_groups_sorted_with_missing_value_as_empty_group() -> None:
    df = frame(review("好吃", product="芒果干"), review("太咸了", product="原味瓜子", sentiment="neg"),
               review("一般", product="芒果干", sentiment="neu"), review("好吃", product=None))  # type: ignore[arg-type]
    t = aggregate(df, by=["supplier", "product"])
    assert list(t["product"]) == ["", "原味瓜子", "芒果干"]
    assert list(t["reviews"]) == [1, 1, 2] and list(t["window"]) == ["all"] * 3


def test_by_and_freq_top_opinions_per_cell() -> None:
    df = frame({**SALTY, "time": pd.Timestamp("2026-11-02 09:00", tz="Asia/Shanghai")},
               {**BLAND, "supplier": "乙食品厂"}, {**BOTH, "supplier": "乙食品厂"})
    t = aggregate(df, by=["supplier"], freq="W")
    assert list(zip(t["supplier"], t["top_opinions"])) == [
        ("乙食品厂", "口味:太淡了(2); 包装:漏气(1)"), ("甲食品厂", "口味:太咸了(1)")]


@pytest.mark.parametrize(("ratings", "scale"), [
    ([5, 4, 3, 4.5, 3.5], 5),
    ([10, 8, 7, 9, 2], 10),
    ([50, 40, 30, 45, 35], 50),
])
def test_satisfaction_on_each_scale(ratings: list[float], scale: int) -> None:
    df = frame(*[review("好吃", rating=r) for r in ratings], review("一般", rating=None))
    assert detect_rating_scale(df["rating"]) == scale
    r = aggregate(df).iloc[0]
    assert r["rated"] == 5 and r["satisfaction_rate"] == pytest.approx(3 / 5)
    lo, hi = wilson_interval(3, 5)
    assert r["satisfaction_lo"] == pytest.approx(float(lo))
    assert r["satisfaction_hi"] == pytest.approx(float(hi))


def test_satisfaction_explicit_scale_zero_and_missing_ratings() -> None:
    df = frame(*[review("好吃", rating=r) for r in (5, 4, 8, 0)])
    r = aggregate(df, rating_scale=10).iloc[0]  # 5 and 4 of 10 are not satisfied; 0 is no rating
    assert (r["rated"], r["satisfaction_rate"]) == (3, pytest.approx(1 / 3))
    no_col = aggregate(sample().drop(columns=["rating"])).iloc[0]
    assert no_col["rated"] == 0 and math.isnan(no_col["satisfaction_rate"])
    empty = sample().assign(rating=np.nan)
    assert math.isnan(aggregate(empty).iloc[0]["satisfaction_hi"])


def test_rating_scale_errors() -> None:
    with pytest.raises(InputError, match="beyond every scale"):
        aggregate(frame(review("好吃", rating=100)))
    with pytest.raises(InputError, match="above the rating scale 5"):
        aggregate(frame(review("好吃", rating=9)), rating_scale=5)
    with pytest.raises(InputError, match="unknown rating scale 7"):
        aggregate(sample(), rating_scale=7)


def test_error_paths() -> None:
    with pytest.raises(ColumnError, match="no column 'shop' to group by; grouping columns there: supplier"):
        aggregate(sample(), by=["shop"])
    with pytest.raises(ColumnError, match="no time column.*aggregate works without --freq.*--time-col"):
        aggregate(sample().drop(columns=["time"]), freq="W")
    with pytest.raises(ColumnError, match="scored without a time column.*aggregate works without --freq"):
        aggregate(sample().assign(time=pd.NaT), freq="W")
    with pytest.raises(InputFormatError, match="none of the 6 counted reviews has a parseable time.*6 rows"):
        aggregate(sample().assign(time=pd.NaT, flags="bad_time"), freq="W")
    with pytest.raises(ColumnError, match="unknown window frequency 'Q'"):
        aggregate(sample(), freq="Q")
    with pytest.raises(ColumnError, match="not a scored file, it lacks sentiment"):
        aggregate(sample().drop(columns=["sentiment"]))


def test_untimed_rows_left_out_of_windows_and_reported() -> None:
    df = frame(GOOD, review("时间丢了，太咸了", None, sentiment="neg", flags="bad_time"), SALTY)
    t = aggregate(df, freq="W")
    assert t["reviews"].sum() == 2
    assert aggregate(df).iloc[0]["reviews"] == 3  # without --freq the row counts
    rep = aggregate_report(df)
    assert rep.untimed == 1 and rep.untimed_examples == [(2, "r001")]


def test_no_countable_rows_gives_an_empty_table() -> None:
    df = frame(review("", status="empty"))
    assert aggregate(df, freq="W", by=["supplier"]).empty
    assert aggregate(df).iloc[0]["reviews"] == 0


def test_naive_times_are_shanghai_wall_clock() -> None:
    df = sample()
    df["time"] = [pd.Timestamp("2026-11-29 23:59")] * 3 + [pd.Timestamp("2026-11-30 00:00")] * 3
    t = aggregate(df, freq="W")
    assert list(t["reviews"]) == [3, 3] and str(t["window_start"].dt.tz) == "Asia/Shanghai"


def test_file_outputs_reread_csv_and_xlsx(tmp_path: Path) -> None:
    sample().to_csv(tmp_path / "scored.csv", index=False)  # text columns: restored on read
    res = aggregate_file(tmp_path / "scored.csv", tmp_path / "out.csv", by=["supplier"], freq="W")
    back = pd.read_csv(tmp_path / "out.csv", encoding="utf-8-sig")
    assert list(back["reviews"]) == [6] and back.loc[0, "top_opinions"] == res.table.loc[0, "top_opinions"]
    assert res.report.groups == 1 and res.report.windows == 1 and res.report.rows_counted == 6
    res = aggregate_file(tmp_path / "scored.csv", tmp_path / "out.xlsx")
    x = pd.read_excel(tmp_path / "out.xlsx")
    assert x.loc[0, "reviews"] == 6 and x.loc[0, "taste_too_bland"] == 3
    assert x.loc[0, "satisfaction_rate"] == pytest.approx(res.table.loc[0, "satisfaction_rate"])


def test_file_errors(tmp_path: Path) -> None:
    src = tmp_path / "scored.parquet"
    sample().to_parquet(src)
    (tmp_path / "out.csv").write_text("x")
    with pytest.raises(OutputError, match="exists; pass --overwrite"):
        aggregate_file(tmp_path / "missing.parquet", tmp_path / "out.csv")  # checked before reading
    with pytest.raises(OutputError, match="does not exist; create it first"):
        aggregate_file(src, tmp_path / "no" / "out.csv")
    with pytest.raises(OutputError, match="cannot write extension '.txt'"):
        aggregate_file(src, tmp_path / "out.txt")
    with pytest.raises(InputError, match="missing.parquet"):
        aggregate_file(tmp_path / "missing.parquet", tmp_path / "new.csv")
    pd.DataFrame({"评论内容": ["好吃"]}).to_csv(tmp_path / "raw.csv", index=False)
    with pytest.raises(ColumnError, match=r"raw.csv: not a scored file.*koubei score"):
        aggregate_file(tmp_path / "raw.csv", tmp_path / "new.csv")
    assert not (tmp_path / "new.csv").exists()


def invoke(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def test_cli_writes_and_summarizes(tmp_path: Path) -> None:
    src = tmp_path / "scored.parquet"
    untimed = review("时间丢了", None, flags="bad_time")
    frame(GOOD, SALTY, untimed, review("重复", flags="duplicate")).to_parquet(src)
    res = invoke("aggregate", src, "-o", tmp_path / "s.xlsx", "--by", "supplier, product", "--freq", "W")
    assert res.exit_code == 0, res.output
    assert "rows: 4   counted: 3" in res.output and "duplicate 1" in res.output
    assert "groups: 1   windows: 1 (2026-W45 .. 2026-W45)" in res.output
    assert "warning: 1 counted reviews have no parseable time" in res.output and "r002 (row 3)" in res.output
    assert "满意率 from 1-5 ratings" in res.output and "wrote" in res.output
    x = pd.read_excel(tmp_path / "s.xlsx")
    assert list(x.columns[:4]) == ["supplier", "product", "window", "window_start"]
    assert x.loc[0, "reviews"] == 2
    res = invoke("aggregate", src, "-o", tmp_path / "s.xlsx", "-q")
    assert res.exit_code == 3 and "exists; pass --overwrite" in res.output
    res = invoke("aggregate", src, "-o", tmp_path / "s.xlsx", "-q", "--overwrite", "--rating-scale", "10")
    assert res.exit_code == 0 and res.output.strip().startswith("wrote")
    res = invoke("aggregate", src, "-o", tmp_path / "t.dat", "--format", "tsv", "-q")
    assert res.exit_code == 0 and pd.read_csv(tmp_path / "t.dat", sep="\t").loc[0, "reviews"] == 3


def test_cli_bad_input_exit_2(tmp_path: Path) -> None:
    src = tmp_path / "scored.parquet"
    sample().to_parquet(src)
    res = invoke("aggregate", src, "-o", tmp_path / "s.csv", "--by", "shop")
    assert res.exit_code == 2 and "error:" in res.output and "no column 'shop'" in res.output
    assert "Traceback" not in res.output
    sample().drop(columns=["time"]).to_parquet(src)
    res = invoke("aggregate", src, "-o", tmp_path / "s.csv", "--freq", "M")
    assert res.exit_code == 2 and "aggregate works without --freq" in res.output
    res = invoke("aggregate", tmp_path / "nope.parquet", "-o", tmp_path / "s.csv")
    assert res.exit_code == 2
    res = invoke("aggregate", src, "-o", tmp_path / "s.csv", "--freq", "Q")
    assert res.exit_code == 2
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.slow
def test_end_to_end_on_model_scores(default_model: Any, tmp_path: Path) -> None:
    import koubei

    dump = pd.DataFrame({
        "评论内容": ["这次的瓜子太咸了", "送得很快，但是味道太淡了，分量也少", "很好吃，会回购",
                 "这次的瓜子太咸了", "包装破了，撒了一袋子"],
        "评论时间": ["2026-11-29 23:59:00", "2026-11-30 00:00:00", "2026-11-30 10:00:00",
                 "2026-12-01 10:00:00", "2026-12-02 10:00:00"],
        "供应商": ["甲食品厂", "乙食品厂", "乙食品厂", "甲食品厂", "丙农产"],
        "评分": [1, 2, 5, 1, 2],
    })
    dump.to_csv(tmp_path / "dump.csv", index=False)
    scored = default_model.score(koubei.read_reviews(tmp_path / "dump.csv"))
    t = aggregate(scored, by=["supplier"], freq="W")
    assert list(t["supplier"].unique()) == ["丙农产", "乙食品厂", "甲食品厂"]
    assert t["reviews"].sum() == 4  # the second 这次的瓜子太咸了 is a duplicate
    jia = t[t["supplier"] == "甲食品厂"]
    assert list(jia["reviews"]) == [1, 0] and jia.iloc[0]["taste_too_salty"] == 1
    assert aggregate(scored).iloc[0]["satisfaction_rate"] == pytest.approx(1 / 4)
