"""Tests of koubei.io: reading review dumps, canonical columns, writing tables."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from koubei.errors import ColumnError, EncodingError, InputError, InputFormatError, OutputError
from koubei.io import (
    CANONICAL_COLUMNS,
    ReviewAnnotator,
    ReviewReader,
    canonicalize,
    iter_reviews,
    parse_times,
    read_reviews,
    read_reviews_with_report,
    resolve_now,
    write_table,
)
from koubei.io.encoding import detect_encoding
from koubei.text.normalize import normalize

# Hand-written reviews in the style of Chinese e-commerce and delivery dumps.
REVIEWS = [
    "味道很好，分量也足，下次还来！",
    "送餐太慢了，等了一个多小时，饭都凉了。",
    "包装破损，汤洒了一袋子，差评",
    "此用户没有填写评价内容",
    "瓜子很香，就是有点受潮了",
    "瓜子很香，就是有点受潮了",
    "服务态度很好，老板人很热情",
    "服务态度很好，老板人很热情！！",
    "NA",
    "",
    "。。。",
    "宝贝收到了，质量不错，物流很快，好评,五星",
    "牛肉不新鲜，有异味，吃完肚子疼",
    "價格實惠，環境乾淨",
]
TIMES = [
    "2021-09-04 21:51:01+0800",
    "2021/9/4 21:51",
    "2021年9月4日",
    "2021-09-04",
    "1630763461",
    "1630763461703",
    "2021-09-04T13:51:01Z",
    "",
    "2021-09-05 08:00:00",
    "2021-09-05",
    "2021-09-06",
    "2021-09-07 12:30",
    "2021-09-08",
    "2021-09-09",
]
PRODUCTS = ["牛肉饭", "牛肉饭", "酸辣汤", "酸辣汤", "鸡腿饭", "鸡腿饭", "牛肉饭"] * 2
SUPPLIERS = ["张记", "李记"] * 7
HEADER_CN = ["评论内容", "评论时间", "商品", "供应商"]


def _rows() -> list[list[str]]:
    return [list(r) for r in zip(REVIEWS, TIMES, PRODUCTS, SUPPLIERS, strict=True)]


def write_csv(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def cn_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "reviews.csv", HEADER_CN, _rows())


def corpora_dir() -> Path | None:
    env = os.environ.get("KOUBEI_CORPORA")
    path = Path(env) if env else Path(__file__).parents[1].parent / "shared" / "corpora"
    return path if path.is_dir() else None


# --- formats and encodings -------------------------------------------------------------


def test_plain_utf8_csv_reads_all_rows_and_columns(cn_csv: Path) -> None:
    df, report = read_reviews_with_report(cn_csv)
    assert len(df) == len(REVIEWS)
    assert df["text"].tolist() == REVIEWS
    assert list(df.columns[:4]) == HEADER_CN
    assert list(df.columns[4:]) == list(CANONICAL_COLUMNS)
    assert (report.format, report.encoding, report.n_rows) == ("csv", "utf-8", len(REVIEWS))
    assert df.attrs["read_report"] is report


def test_gbk_csv_is_detected_as_gb18030(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gbk.csv", HEADER_CN, _rows(), encoding="gbk")
    df, report = read_reviews_with_report(path)
    assert report.encoding == "gb18030"
    assert df["text"].tolist() == REVIEWS
    assert df["supplier"].iloc[0] == "张记"


def test_bom_is_stripped_from_first_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bom.csv", HEADER_CN, _rows(), encoding="utf-8-sig")
    df, report = read_reviews_with_report(path)
    assert report.encoding == "utf-8-sig"
    assert df.columns[0] == "评论内容"
    assert report.mapping["text"] == "评论内容"


def test_tsv_and_txt_with_tabs(tmp_path: Path) -> None:
    rows = [["好吃，便宜", "2021-09-04"], ["太咸了, 不推荐", "2021-09-05"]]
    for name in ("r.tsv", "r.txt"):
        path = write_csv(tmp_path / name, ["评论", "日期"], rows, delimiter="\t")
        df, report = read_reviews_with_report(path)
        assert report.format == "tsv"
        assert df["text"].tolist() == ["好吃，便宜", "太咸了, 不推荐"]


def test_encoding_override(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gbk.csv", HEADER_CN, _rows(), encoding="gbk")
    df, report = read_reviews_with_report(path, encoding="GBK")
    assert report.encoding == "gb18030"
    assert df["text"].tolist() == REVIEWS


def test_wrong_encoding_names_offset_line_and_suggests_gb18030(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gbk.csv", HEADER_CN, _rows(), encoding="gbk")
    with pytest.raises(
        EncodingError, match=r"gbk\.csv: byte offset 0 \(line 1\).*--encoding gb18030"
    ):
        read_reviews(path, encoding="utf-8")


def test_utf8_read_as_gb18030_suggests_utf8(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text("评论\n好吃，\n", encoding="utf-8")
    with pytest.raises(EncodingError, match=r"line 2\).*gb18030.*--encoding utf-8"):
        read_reviews(path, encoding="gb18030")


def test_bad_byte_after_the_sample_is_located(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    body = "评论\n" + "味道不错，下次再来\n" * 5000
    path.write_bytes(body.encode("utf-8") + "坏了\n".encode("gbk"))
    with pytest.raises(EncodingError, match=r"line 5002\).*not valid utf-8.*gb18030"):
        read_reviews(path)


def test_ascii_sample_then_gbk_falls_back_to_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "ascii_then_gbk.csv"
    head = "review,id\n" + "".join(f"ok,{i}\n" for i in range(20000))
    path.write_bytes(head.encode("ascii") + "不好吃,x\n".encode("gbk"))
    df, report = read_reviews_with_report(path)
    assert report.encoding == "gb18030"
    assert df["text"].iloc[-1] == "不好吃"


def test_detection_is_not_fooled_by_a_character_cut_at_the_sample_end(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_text("评论\n好吃好吃好吃\n", encoding="utf-8")
    for size in range(1, 20):
        assert detect_encoding(path, sample_bytes=size).codec == "utf-8-sig"
    gbk = tmp_path / "cut_gbk.csv"
    gbk.write_bytes("评论\n好吃好吃好吃\n".encode("gbk"))
    assert detect_encoding(gbk, sample_bytes=3).codec == "gb18030"


def test_na_and_null_texts_are_kept(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "na.csv", ["review"], [["NA"], ["null"], ["None"], [""]])
    df = read_reviews(path)
    assert df["text"].tolist() == ["NA", "null", "None", ""]
    assert df["status"].tolist() == ["ok", "ok", "ok", "empty"]


def test_excel_with_datetime_cells_and_sheet_option(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "说明"
    book.active.append(["本表为导出说明"])
    sheet = book.create_sheet("评价")
    sheet.append(["评价ID", "评价内容", "评价时间", "评分"])
    sheet.append([1001, "快递很快，包装完好", dt.datetime(2021, 9, 4, 21, 51, 1), 5])
    sheet.append([1002, "颜色和图片不一样", dt.datetime(2021, 9, 5, 8, 0), 2.5])
    sheet.append([None, None, None, None])
    path = tmp_path / "r.xlsx"
    book.save(path)
    df, report = read_reviews_with_report(path, sheet="评价")
    assert df["text"].tolist() == ["快递很快，包装完好", "颜色和图片不一样"]
    assert df["review_id"].tolist() == ["1001", "1002"]
    assert df["time"].iloc[0] == pd.Timestamp("2021-09-04 21:51:01", tz="Asia/Shanghai")
    assert df["rating"].tolist() == [5.0, 2.5]
    assert report.format == "xlsx" and report.encoding is None
    assert read_reviews(path, sheet=1)["text"].iloc[1] == "颜色和图片不一样"
    with pytest.raises(InputError, match=r"no sheet '不存在'.*说明, 评价.*--sheet"):
        read_reviews(path, sheet="不存在")


def test_jsonl_and_json_array(tmp_path: Path) -> None:
    records = [
        {"id": 7, "content": "送货上门，师傅很专业", "score": 5, "tags": ["物流"]},
        {"id": 8, "content": "null", "score": None},
    ]
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n\n")
    df = read_reviews(jsonl)
    assert df["text"].tolist() == ["送货上门，师傅很专业", "null"]
    assert df["review_id"].tolist() == ["7", "8"]
    assert df["tags"].tolist() == ['["物流"]', ""]
    assert df["rating"].iloc[0] == 5.0 and np.isnan(df["rating"].iloc[1])
    array = tmp_path / "r.json"
    array.write_text(json.dumps({"data": records}, ensure_ascii=False))
    assert read_reviews(array)["text"].tolist() == df["text"].tolist()


def test_json_file_holding_json_lines_is_read_as_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "lines.json"
    path.write_text('{"text": "好吃"}\n{"text": "难吃"}\n', encoding="utf-8")
    df, report = read_reviews_with_report(path)
    assert df["text"].tolist() == ["好吃", "难吃"]
    assert report.format == "jsonl"
    assert any("JSON Lines" in n for n in report.notes)


def test_bad_jsonl_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "好"}\n{"text": 坏}\n', encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"bad\.jsonl: line 2, column 10: not valid JSON"):
        read_reviews(path)
    path.write_text('{"text": "好"}\n["text"]\n', encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"line 2 is a JSON list, not an object"):
        read_reviews(path)


def test_format_override(tmp_path: Path) -> None:
    path = tmp_path / "dump.dat"
    path.write_text("评论\n不错\n", encoding="utf-8")
    assert read_reviews(path, fmt="csv")["text"].tolist() == ["不错"]


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "json", "parquet", "xlsx"])
def test_write_then_read_round_trip(tmp_path: Path, cn_csv: Path, fmt: str) -> None:
    original = read_reviews(cn_csv, now="2024-01-01")
    out = write_table(original, tmp_path / f"out.{fmt}")
    again = read_reviews(out, now="2024-01-01")
    assert again["text"].tolist() == original["text"].tolist()
    assert again["review_id"].tolist() == original["review_id"].tolist()
    assert again["flags"].tolist() == original["flags"].tolist()
    pd.testing.assert_series_equal(again["time"], original["time"], check_names=False)
    assert again["product"].tolist() == original["product"].tolist()
    assert "orig_flags" not in again.columns and "orig_status" not in again.columns


def test_parquet_keeps_dtypes(tmp_path: Path, cn_csv: Path) -> None:
    original = read_reviews(cn_csv)
    out = write_table(original, tmp_path / "out.parquet")
    raw = pd.read_parquet(out)
    assert str(raw["time"].dtype) == "datetime64[ns, Asia/Shanghai]"
    assert raw["rating"].dtype == float
    assert read_reviews(out)["time"].dtype == original["time"].dtype


# --- errors on opening -----------------------------------------------------------------


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.csv: no such file"):
        read_reviews(tmp_path / "nope.csv")
    with pytest.raises(InputError, match=r"is a directory"):
        read_reviews(tmp_path)


def test_unknown_extension_lists_formats_and_option(tmp_path: Path) -> None:
    path = tmp_path / "reviews.dat"
    path.write_text("评论\n好\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"reviews\.dat.*csv, tsv, jsonl.*--input-format NAME"):
        read_reviews(path)
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputFormatError, match=r"old\.xls: old Excel \.xls.*\.xlsx"):
        read_reviews(old)
    with pytest.raises(InputFormatError, match=r"unknown format 'xml'"):
        read_reviews(path, fmt="xml")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.csv", b""),
        ("header.csv", "评论内容,评论时间\n".encode()),
        ("blank.csv", "评论内容\n\n\n".encode()),
        ("empty.jsonl", b"\n\n"),
        ("empty.json", b"[]"),
    ],
)
def test_empty_files_have_no_rows(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputFormatError, match=rf"{name}: no rows"):
        read_reviews(path)


def test_header_only_workbook_has_no_rows(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["评论内容", "评论时间"])
    path = tmp_path / "header.xlsx"
    book.save(path)
    with pytest.raises(InputFormatError, match=r"header\.xlsx: no rows"):
        read_reviews(path)


def test_corrupt_xlsx_and_parquet(tmp_path: Path) -> None:
    xlsx = tmp_path / "broken.xlsx"
    xlsx.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(InputFormatError, match=r"broken\.xlsx: not a readable \.xlsx"):
        read_reviews(xlsx)
    parquet = tmp_path / "broken.parquet"
    parquet.write_bytes(b"PAR1 garbage")
    with pytest.raises(InputFormatError, match=r"broken\.parquet: not a readable Parquet"):
        read_reviews(parquet)


def test_ragged_rows_error_lists_lines(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text(
        "评论内容,评论时间,商品\n"
        "好吃,2021-09-04,牛肉饭\n"
        '"第一行\n第二行",2021-09-04,牛肉饭\n'
        "好吃,不贵,2021-09-04,牛肉饭\n"
        "一般,2021-09-05,鸡腿饭\n"
        "太咸,真的,2021-09-05,鸡腿饭\n",
        encoding="utf-8",
    )
    with pytest.raises(
        InputFormatError,
        match=r"ragged\.csv: 2 row\(s\) have more fields than the 3 of the header: "
        r"line 5 \(4 fields\), line 7 \(4 fields\)\. .*must be quoted.*pass --input-format csv/tsv",
    ):
        read_reviews(path)


def test_short_rows_are_padded_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("评论内容,评论时间,商品\n好吃,2021-09-04\n一般\n不错,2021-09-05,汤\n")
    df, report = read_reviews_with_report(path)
    assert report.short_rows == 2
    assert df["商品"].tolist() == ["", "", "汤"]
    assert df["product"].isna().tolist() == [True, True, False]


def test_trailing_delimiters_are_dropped_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "trailing.csv"
    path.write_text("评论内容,商品\n好吃,饭,\n一般,汤,,\n", encoding="utf-8")
    df, report = read_reviews_with_report(path)
    assert df["text"].tolist() == ["好吃", "一般"]
    assert any("2 row(s): rows ended with empty extra fields" in n for n in report.notes)


@pytest.mark.corpora
def test_hotpot_corpus_multiline_fields() -> None:
    root = corpora_dir()
    if root is None:
        pytest.skip("shared corpora not found (set KOUBEI_CORPORA)")
    df, report = read_reviews_with_report(root / "timed" / "meituan_wuhan_hotpot_reviews.csv")
    assert len(df) == 41_893
    assert report.mapping == {
        "text": "review",
        "review_id": "id",
        "time": "review_time",
        "supplier": "shop_name",
        "rating": "star",
    }
    assert df["review_id"].is_unique and df["time"].notna().all()
    assert report.short_rows == 0 and report.unparseable_time == 0
    assert "\n" in df["text"].iloc[0]


# --- column mapping --------------------------------------------------------------------


def test_chinese_headers_are_detected(cn_csv: Path) -> None:
    report = read_reviews_with_report(cn_csv)[1]
    assert report.mapping == {
        "text": "评论内容",
        "time": "评论时间",
        "product": "商品",
        "supplier": "供应商",
    }
    assert report.auto_detected == ["text", "time", "product", "supplier"]


def test_english_headers_are_detected(tmp_path: Path) -> None:
    header = ["Review_ID", "Review Text", "Date", "Product", "Shop", "Stars", "Platform", "Lot"]
    row = ["a1", "Fast delivery, 很满意", "2021-09-04", "面膜", "旗舰店", "5星", "天猫", "B21"]
    df, report = read_reviews_with_report(write_csv(tmp_path / "en.csv", header, [row]))
    assert report.mapping == {
        "text": "Review Text",
        "review_id": "Review_ID",
        "time": "Date",
        "product": "Product",
        "supplier": "Shop",
        "batch": "Lot",
        "rating": "Stars",
        "channel": "Platform",
    }
    assert df[["review_id", "batch", "channel", "rating"]].iloc[0].tolist() == [
        "a1",
        "B21",
        "天猫",
        5.0,
    ]


def test_specific_name_beats_generic_name(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", ["评价", "评论内容"], [["好评", "物流很快"]])
    assert read_reviews(path)["text"].tolist() == ["物流很快"]


def test_ambiguous_text_column_lists_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "amb.csv", ["评论", "内容", "时间"], [["好", "不错", ""]])
    with pytest.raises(
        ColumnError,
        match=r"several columns could hold the review text \('评论', '内容'\).*--text-col",
    ):
        read_reviews(path)
    assert read_reviews(path, text_col="内容")["text"].tolist() == ["不错"]


def test_ambiguous_optional_column_is_left_unmapped_with_note(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "amb.csv", ["评论", "日期", "时间"], [["好", "2021-09-04", "10:00"]]
    )
    df, report = read_reviews_with_report(path)
    assert "time" not in report.mapping
    assert df["time"].isna().all()
    assert any("--time-col" in n for n in report.notes)


def test_missing_given_column_suggests_close_names(cn_csv: Path) -> None:
    with pytest.raises(
        ColumnError,
        match=r"no column '评论' \(given with --text-col\); "
        r"columns found: '评论内容'.*did you mean",
    ):
        read_reviews(cn_csv, text_col="评论")


def test_given_column_matches_loosely(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ["Comment Text", "x"], [["很好用", "1"]])
    df, report = read_reviews_with_report(path, text_col="comment_text")
    assert report.mapping["text"] == "Comment Text"
    assert "text" not in report.auto_detected


def test_no_text_column_error_and_content_guess(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "none.csv", ["a", "b"], [["1", "2"]])
    with pytest.raises(ColumnError, match=r"cannot tell which column.*'a', 'b'.*--text-col NAME"):
        read_reviews(path)
    rows = [["1", "这家店的牛肉面真的很好吃，汤头浓郁"], ["2", "送餐速度太慢了，面都坨了，差评"]]
    guess = write_csv(tmp_path / "guess.csv", ["编号x", "f2"], rows)
    df, report = read_reviews_with_report(guess)
    assert report.mapping["text"] == "f2" and report.guessed == ["text"]
    assert any("guessed" in n for n in report.notes)


def test_canonical_name_collisions(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv", ["评论内容", "status", "flags"], [["好吃", "已完成", "vip"]]
    )
    df = read_reviews(path)
    assert df["orig_status"].tolist() == ["已完成"]
    assert df["orig_flags"].tolist() == ["vip"]
    assert df["status"].tolist() == ["ok"]


def test_text_named_column_that_is_not_the_text_source(tmp_path: Path) -> None:
    frame = pd.DataFrame({"text": ["备注一"], "评论内容": ["很满意"]})
    out = canonicalize(frame, text_col="评论内容")
    assert out["text"].tolist() == ["很满意"]
    assert out["orig_text"].tolist() == ["备注一"]


def test_repeated_column_names_in_memory() -> None:
    frame = pd.DataFrame([["好", "差"]], columns=["评论", "评论"])
    with pytest.raises(ColumnError, match=r"repeated column names \['评论'\]"):
        canonicalize(frame)


def test_sheet_option_for_csv_is_noted(cn_csv: Path) -> None:
    report = read_reviews_with_report(cn_csv, sheet="评价")[1]
    assert "--sheet is ignored for csv files" in report.notes


# --- time parsing ----------------------------------------------------------------------

SH = "Asia/Shanghai"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-09-04 21:51:01+0800", "2021-09-04 21:51:01"),
        ("2021-09-04T21:51:01+08:00", "2021-09-04 21:51:01"),
        ("2021-09-04T13:51:01Z", "2021-09-04 21:51:01"),
        ("2021-09-04 21:51:01", "2021-09-04 21:51:01"),
        ("2021/9/4 21:51", "2021-09-04 21:51:00"),
        ("2021年9月4日", "2021-09-04 00:00:00"),
        ("2021年9月4日 21时51分", "2021-09-04 21:51:00"),
        ("2021-09-04", "2021-09-04 00:00:00"),
        ("1630763461", "2021-09-04 21:51:01"),
        ("1630763461703", "2021-09-04 21:51:01.703"),
        ("2021-09-04 21:51:01.500000", "2021-09-04 21:51:01.5"),
    ],
)
def test_absolute_time_formats(value: str, expected: str) -> None:
    parsed = parse_times(pd.Series([value]))
    assert parsed.times.iloc[0] == pd.Timestamp(expected, tz=SH)
    assert str(parsed.times.dtype) == "datetime64[ns, Asia/Shanghai]"
    assert not parsed.bad.any()


NOW = "2024-03-10 12:00"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("刚刚", "2024-03-10 12:00"),
        ("5分钟前", "2024-03-10 11:55"),
        ("3小时前", "2024-03-10 09:00"),
        ("半小时前", "2024-03-10 11:30"),
        ("今天 08:30", "2024-03-10 08:30"),
        ("昨天 21:15", "2024-03-09 21:15"),
        ("前天", "2024-03-08 00:00"),
        ("3天前", "2024-03-07 12:00"),
        ("三天前", "2024-03-07 12:00"),
        ("2周前", "2024-02-25 12:00"),
        ("1个月前", "2024-02-09 12:00"),
        ("03-01", "2024-03-01 00:00"),
        ("12-25 20:00", "2023-12-25 20:00"),
    ],
)
def test_relative_times_with_now(value: str, expected: str) -> None:
    parsed = parse_times(pd.Series([value]), now=resolve_now(NOW))
    assert parsed.times.iloc[0] == pd.Timestamp(expected, tz=SH)


def test_relative_times_without_now_are_counted(tmp_path: Path) -> None:
    rows = [["好吃", "3天前"], ["一般", "昨天 10:00"], ["还行", "2021-09-04"], ["差", "去年夏天"]]
    path = write_csv(tmp_path / "rel.csv", ["评论", "时间"], rows)
    df, report = read_reviews_with_report(path)
    assert df["time"].isna().tolist() == [True, True, False, True]
    assert report.unparseable_time == 3 and report.relative_time_unresolved == 2
    assert report.unparseable_time_examples == ["去年夏天"]
    assert df["flags"].tolist() == ["bad_time", "bad_time", "", "bad_time"]
    assert any("pass --now" in line for line in report.summary_lines())
    resolved = read_reviews(path, now="2024-03-10")
    assert resolved["time"].iloc[0] == pd.Timestamp("2024-03-07", tz=SH)


def test_tz_parameter_converts_aware_and_localizes_naive() -> None:
    values = pd.Series(["2021-09-04T13:51:01Z", "2021-09-04 21:51:01+08:00", "2021-09-04 10:00"])
    parsed = parse_times(values, tz="UTC")
    assert parsed.times.tolist() == [
        pd.Timestamp("2021-09-04 13:51:01", tz="UTC"),
        pd.Timestamp("2021-09-04 13:51:01", tz="UTC"),
        pd.Timestamp("2021-09-04 10:00", tz="UTC"),
    ]


def test_datetime_column_in_memory_is_localized() -> None:
    frame = pd.DataFrame({"text": ["好"], "time": [pd.Timestamp("2021-09-04 21:51")]})
    out = canonicalize(frame)
    assert out["time"].iloc[0] == pd.Timestamp("2021-09-04 21:51", tz=SH)


def test_bad_now_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"--now '下周'.*2024-05-01"):
        canonicalize(["好"], now="下周")


# --- status, flags, ids ----------------------------------------------------------------


def test_status_and_flags(cn_csv: Path) -> None:
    df = read_reviews(cn_csv)
    assert len(df) == len(REVIEWS)
    status = dict(zip(REVIEWS, df["status"], strict=False))
    assert status[""] == "empty" and status["。。。"] == "non_text" and status["NA"] == "ok"
    flags = df["flags"].tolist()
    assert flags[3] == "templated"
    assert flags[4] == "" and flags[5] == "duplicate"
    assert flags[6] == "" and flags[7] == "near_duplicate"
    assert flags[9] == flags[10] == ""
    report = df.attrs["read_report"]
    assert report.status_counts == {"ok": 12, "empty": 1, "non_text": 1}
    assert report.flag_counts["duplicate"] == 1 and report.flag_counts["templated"] == 1


@pytest.mark.parametrize(
    "text",
    [
        "此用户没有填写评价内容。",
        "系统默认好评",
        "评价方未及时做出评价,系统默认好评!",
        "好评！",
        "15天内买家未作出评价",
        "此用戶沒有填寫評價內容",
    ],
)
def test_templated_texts(text: str) -> None:
    assert canonicalize([text])["flags"].iloc[0] == "templated"


def test_not_templated_when_more_is_written() -> None:
    out = canonicalize(["系统默认好评，但是其实菜很难吃"])
    assert out["flags"].iloc[0] == ""


def test_non_text_and_empty_rows_are_kept() -> None:
    texts = ["。。。", "111", "🐼🐼", "   ", None, "ok", "👍👍", "【口味】\n【环境】\n【服务】"]
    out = canonicalize(texts)
    # an emoji with a plain meaning is its word (👍: 赞), a review like any other; a review
    # form's headers left unfilled say nothing
    assert out["status"].tolist() == ["non_text", "non_text", "non_text", "empty", "empty", "ok", "ok",
                                      "non_text"]
    assert out["text"].tolist()[:5] == ["。。。", "111", "🐼🐼", "   ", ""]
    assert out["text"].iloc[7] == texts[7]  # the raw text is kept


def test_hash_ids_unique_and_stable(cn_csv: Path) -> None:
    first = read_reviews(cn_csv)["review_id"]
    second = read_reviews(cn_csv)["review_id"]
    assert first.tolist() == second.tolist()
    assert first.is_unique
    assert first.iloc[5] == first.iloc[4] + "-2"
    assert first.iloc[4].startswith("r") and len(first.iloc[4]) == 17


def test_ids_survive_normalization_and_empty_texts() -> None:
    out = canonicalize(["好吃", "好吃 ", "", "", "ＯＫ", "ok"])
    ids = out["review_id"].tolist()
    assert ids[1] == ids[0] + "-2"
    assert ids[3] == ids[2] + "-2"
    assert ids[5] == ids[4] + "-2"


def test_given_ids_and_duplicate_ids(tmp_path: Path) -> None:
    rows = [["c1", "好吃"], ["c2", "难吃"], ["c1", "一般"], ["", "还行"]]
    df = read_reviews(write_csv(tmp_path / "ids.csv", ["评论id", "评论"], rows))
    assert df["review_id"].tolist()[:3] == ["c1", "c2", "c1-2"]
    assert df["review_id"].iloc[3].startswith("r")
    assert df["flags"].tolist() == ["", "", "duplicate_id", ""]


@pytest.mark.parametrize("chunksize", [1, 2, 3, 5, 100])
def test_chunked_iteration_equals_whole_read(cn_csv: Path, chunksize: int) -> None:
    whole = read_reviews(cn_csv)
    chunks = list(iter_reviews(cn_csv, chunksize=chunksize))
    assert all(len(c) <= chunksize for c in chunks)
    joined = pd.concat(chunks)
    for column in ("review_id", "status", "flags", "text"):
        assert joined[column].tolist() == whole[column].tolist()
    assert joined.index.tolist() == list(range(len(REVIEWS)))


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "xlsx", "tsv"])
def test_chunked_iteration_equals_whole_read_in_other_formats(
    tmp_path: Path, cn_csv: Path, fmt: str
) -> None:
    path = write_table(read_reviews(cn_csv), tmp_path / f"out.{fmt}")
    whole = read_reviews(path)
    joined = pd.concat(list(iter_reviews(path, chunksize=4)))
    assert joined["review_id"].tolist() == whole["review_id"].tolist()
    assert joined["flags"].tolist() == whole["flags"].tolist()


def test_short_texts_are_not_duplicates() -> None:
    """Many customers write 好吃 on their own; only long repeats are pastes."""
    out = canonicalize(["好吃", "好吃", "不错不错", "不错不错！", "很好吃，会回购", "很好吃，会回购"])
    assert out["flags"].tolist() == [""] * 6
    out = canonicalize(["送餐太慢了，饭都凉了", "送餐太慢了！！饭都凉了", "送餐太慢了，饭都凉了"])
    assert out["flags"].tolist() == ["", "near_duplicate", "duplicate"]


def test_reader_report_after_iteration(cn_csv: Path) -> None:
    reader = ReviewReader(cn_csv, chunksize=4)
    assert sum(len(c) for c in reader) == len(REVIEWS)
    assert reader.report.n_rows == len(REVIEWS)
    assert reader.report.flag_counts["duplicate"] == 1


def test_annotator_state_spans_chunks() -> None:
    annotator = ReviewAnnotator()
    a = annotator.annotate(pd.Series(["服务很好，上菜很快"]))
    b = annotator.annotate(pd.Series(["服务很好，上菜很快", "服务很好!上菜很快!!"]))
    assert a["review_id"].iloc[0] + "-2" == b["review_id"].iloc[0]
    assert b["duplicate"].tolist() == [True, False]
    assert b["near_duplicate"].tolist() == [False, True]


def test_key_counts_agree_with_a_dict_across_chunks() -> None:
    from koubei.io.annotate import KeyCounts

    rng = np.random.default_rng(0)
    counts, oracle = KeyCounts(), {}
    for chunk in range(40):  # every third chunk repeats a small key range; others are new keys
        keys = rng.integers(0, 500, 300) if chunk % 3 == 0 else rng.integers(0, 2**63, 300)
        codes, uniques = pd.factorize(keys.astype(np.uint64))
        sizes = np.bincount(codes, minlength=len(uniques))
        prior = counts.add(uniques, sizes)
        assert prior.tolist() == [oracle.get(int(k), 0) for k in uniques]
        for k, n in zip(uniques.tolist(), sizes.tolist(), strict=True):
            oracle[k] = oracle.get(k, 0) + n
    assert len(counts) == len(oracle) and bool(np.all(np.diff(counts.keys) > 0))
    assert dict(zip(counts.keys.tolist(), counts.counts.tolist(), strict=True)) == oracle


def test_annotator_keeps_about_sixteen_bytes_per_distinct_text() -> None:
    annotator = ReviewAnnotator()
    texts = [f"第{i}条评论：味道还可以，送餐有点慢" for i in range(20_000)]
    for i in range(0, len(texts), 5_000):
        annotator.annotate(pd.Series(texts[i:i + 5_000]))
    distinct = len({normalize(t) for t in texts})  # 11111 → 111: runs of 4+ collapse
    assert distinct > 19_900
    state = (annotator._text_counts, annotator._skeletons)
    assert [len(c) for c in state] == [distinct, 1]  # digits are not letters: one skeleton
    assert sum(c.keys.nbytes + c.counts.nbytes for c in state) == 16 * (distinct + 1)


def test_canonicalize_list_and_idempotence(cn_csv: Path) -> None:
    out = canonicalize(["味道不错，就是送得有点慢", "味道不错，就是送得有点慢"])
    assert list(out.columns) == list(CANONICAL_COLUMNS)
    assert out["flags"].tolist() == ["", "duplicate"]
    df = read_reviews(cn_csv)
    again = canonicalize(df)
    assert again["review_id"].tolist() == df["review_id"].tolist()
    assert again["flags"].tolist() == df["flags"].tolist()
    assert list(again.columns) == list(df.columns)


def test_unknown_option_is_a_type_error(cn_csv: Path) -> None:
    with pytest.raises(TypeError, match=r"unknown read option\(s\): txt_col"):
        read_reviews(cn_csv, txt_col="评论内容")


def test_ratings_in_words_and_stars() -> None:
    frame = pd.DataFrame({"text": ["好"] * 5, "rating": ["5", "4.5分", "★★★☆☆", "", "好评"]})
    out = canonicalize(frame)
    assert out["rating"].tolist()[:3] == [5.0, 4.5, 3.0]
    assert out["rating"].iloc[3:].isna().all()
    assert out.attrs["read_report"].unparseable_rating == 1


# --- writing ---------------------------------------------------------------------------


@pytest.fixture
def small() -> pd.DataFrame:
    return canonicalize(["好吃", "=SUM(A1:A2)", "-5 分太低", "@客服 不理人"], now="2024-01-01")


def test_write_refuses_to_overwrite(tmp_path: Path, small: pd.DataFrame) -> None:
    path = write_table(small, tmp_path / "out.csv")
    with pytest.raises(OutputError, match=r"out\.csv: exists; pass --overwrite"):
        write_table(small, path)
    write_table(small, path, overwrite=True)


def test_write_missing_directory_and_unknown_format(tmp_path: Path, small: pd.DataFrame) -> None:
    with pytest.raises(OutputError, match=r"the directory .*nodir does not exist"):
        write_table(small, tmp_path / "nodir" / "out.csv")
    with pytest.raises(OutputError, match=r"cannot write extension '\.doc'.*csv.*--format"):
        write_table(small, tmp_path / "out.doc")
    with pytest.raises(OutputError, match=r"is a directory"):
        write_table(small, tmp_path)


def test_write_unwritable_directory(
    tmp_path: Path, small: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    import koubei.io.writers as writers

    monkeypatch.setattr(writers.os, "access", lambda *_a, **_k: False)
    with pytest.raises(OutputError, match=r"out\.csv: the directory .* is not writable"):
        write_table(small, tmp_path / "out.csv")


def test_write_is_atomic(
    tmp_path: Path, small: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    def half_write(self: pd.DataFrame, path: Path, **_: object) -> None:
        Path(path).write_text("text,review_id\n好吃,", encoding="utf-8")
        raise RuntimeError("disk pulled out")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_write)
    with pytest.raises(RuntimeError, match="disk pulled out"):
        write_table(small, tmp_path / "out.csv")
    assert list(tmp_path.iterdir()) == []


def test_write_replaces_only_when_complete(
    tmp_path: Path, small: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text("previous result\n", encoding="utf-8")

    def fail(self: pd.DataFrame, path: Path, **_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_json", fail)
    with pytest.raises(OutputError, match=r"out\.jsonl: cannot write \(No space left on device\)"):
        write_table(small, path, overwrite=True)
    assert path.read_text(encoding="utf-8") == "previous result\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_xlsx_formula_text_stays_text_and_times_are_naive(
    tmp_path: Path, small: pd.DataFrame
) -> None:
    from openpyxl import load_workbook

    frame = small.copy()
    frame["time"] = pd.Timestamp("2021-09-04 21:51:01", tz=SH)
    path = write_table(frame, tmp_path / "out.xlsx")
    sheet = load_workbook(path).active
    header = [c.value for c in sheet[1]]
    text = sheet.cell(row=3, column=header.index("text") + 1)
    assert text.value == "=SUM(A1:A2)" and text.data_type == "s"
    when = sheet.cell(row=2, column=header.index("time") + 1).value
    assert when == dt.datetime(2021, 9, 4, 21, 51, 1)
    again = read_reviews(path)
    assert again["text"].tolist() == small["text"].tolist()
    assert again["review_id"].tolist() == small["review_id"].tolist()


def test_xlsx_row_limit(
    tmp_path: Path, small: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    import koubei.io.writers as writers

    monkeypatch.setattr(writers, "EXCEL_MAX_ROWS", 3)
    with pytest.raises(OutputError, match=r"do not fit in an Excel sheet.*\.parquet or \.csv"):
        write_table(small, tmp_path / "big.xlsx")
    assert not (tmp_path / "big.xlsx").exists()


def test_csv_output_has_bom_for_excel(tmp_path: Path, small: pd.DataFrame) -> None:
    path = write_table(small, tmp_path / "out.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert "read_report" not in pd.read_csv(path).columns


# --- reading never merges or drops rows silently (issue 21) ------------------------------

DUMP_REVIEWS = [
    "这家店的牛肉饭很好吃，分量也足，下次还来",
    "送餐太慢了，等了一个多小时，饭都凉了",
    "包装破损，汤洒了一袋子，差评",
    "瓜子很香，就是有点受潮了，希望改进",
    "味道一般般吧，价格有点贵，性价比不高",
    "老板人很热情，服务态度很好，推荐",
]


def dump_rows(n: int) -> list[list[str]]:
    """``n`` rows of review, time, rating; every review distinct."""
    return [
        [
            f"{DUMP_REVIEWS[i % len(DUMP_REVIEWS)]}（第{i + 1}单）",
            f"2026-11-{i % 28 + 1:02d} 12:00",
            str(i % 5 + 1),
        ]
        for i in range(n)
    ]


def write_rows_xlsx(path: Path, rows: list[list[str]]) -> Path:
    """A one-sheet workbook holding ``rows`` as they are (a header only if ``rows`` has one)."""
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def with_line_changed(path: Path, line: int, change) -> Path:  # type: ignore[no-untyped-def]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[line - 1] = change(lines[line - 1])
    path.write_text("".join(lines), encoding="utf-8")
    return path


def refused_then_read_with_quoting_none(path: Path, match: str, rows: int) -> pd.DataFrame:
    """Check ``path`` is refused as a runaway quote (``match``), then read whole with --quoting none."""
    with pytest.raises(InputFormatError, match=match):
        read_reviews(path)
    df, report = read_reviews_with_report(path, quoting="none")
    assert len(df) == rows and report.short_rows == 0
    return df


def test_stray_quote_without_a_closing_one_stops_at_its_line(tmp_path: Path) -> None:
    rows = dump_rows(5000)
    path = write_csv(tmp_path / "stray.csv", ["评论内容", "评论时间", "评分"], rows)
    with_line_changed(path, 102, lambda s: '"' + s)  # review 101 starts with a stray quote
    df = refused_then_read_with_quoting_none(
        path,
        r"stray\.csv: line 102: a quoted field opens here and runs over 4900 lines to line 5001 "
        r"\(no closing quote before the end of the file\).*--quoting none",
        5000,
    )
    assert df["评论内容"].iloc[100] == '"' + rows[100][0] and df["评论内容"].iloc[101] == rows[101][0]


def test_stray_quote_closed_by_a_later_quote_is_refused(tmp_path: Path) -> None:
    rows = dump_rows(40)
    rows[30][0] = '他说"不错"，我也觉得'  # a quote inside a review: plain text when nothing runs away
    path = write_csv(tmp_path / "closed.csv", ["评论内容", "评论时间", "评分"], rows)
    assert len(read_reviews(path)) == 40
    with_line_changed(path, 12, lambda s: '"' + s)
    with pytest.raises(
        InputFormatError,
        match=r"closed\.csv: line 12: .* to line 32 \(its closing quote is followed by more text\)",
    ):
        read_reviews(path)


def test_runaway_field_closed_before_a_delimiter_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "shaped.csv", ["评论内容", "评论时间", "评分"], dump_rows(30))
    with_line_changed(path, 4, lambda s: '"' + s)
    with_line_changed(path, 20, lambda s: s.replace(",", '",', 1))  # a review ending in a quote
    with pytest.raises(
        InputFormatError, match=r"shaped\.csv: line 4: .*to line 20 \(17 of its lines look like rows"
    ):
        read_reviews(path)


def test_long_quoted_review_with_a_comma_per_line_is_kept(tmp_path: Path) -> None:
    """A genuine review over 12 lines, one comma on each, in an id,review file: a review, not a runaway."""
    review = "\n".join(f"第{i + 1}段：{DUMP_REVIEWS[i % len(DUMP_REVIEWS)].replace('，', ',', 1)}"
                       for i in range(12))
    assert all(line.count(",") == 1 for line in review.splitlines())
    rows = [[str(1000 + i), DUMP_REVIEWS[i % len(DUMP_REVIEWS)]] for i in range(20)]
    rows[7][1] = review
    path = write_csv(tmp_path / "long.csv", ["编号", "评论内容"], rows)
    assert path.read_text(encoding="utf-8").count("\n") == 21 + 11  # the review's lines are in the file
    df, report = read_reviews_with_report(path)
    assert len(df) == 20 and report.short_rows == 0
    assert df["评论内容"].tolist() == [r[1] for r in rows]


def test_stray_quote_closed_at_a_line_end_in_an_id_review_file_is_refused(tmp_path: Path) -> None:
    """The near miss of the genuine review above: the same quoting, but the lines it holds are rows."""
    rows = [[str(1000 + i), DUMP_REVIEWS[i % len(DUMP_REVIEWS)]] for i in range(30)]
    path = write_csv(tmp_path / "ids.csv", ["编号", "评论内容"], rows)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert all(line.count(",") == 1 for line in lines[1:])  # the writer quoted none of them
    with_line_changed(path, 6, lambda s: s.replace(",", ',"', 1))  # review 1004 opens with a stray quote
    with_line_changed(path, 20, lambda s: s.rstrip("\r\n") + '"\n')  # review 1018 ends with one
    refused_then_read_with_quoting_none(
        path,
        r"ids\.csv: line 6: a quoted field opens here and runs over 15 lines to line 20 "
        r"\(15 of its lines look like rows of their own\)",
        30,
    )


def test_quoted_multiline_reviews_are_kept(tmp_path: Path) -> None:
    rows = dump_rows(30)
    rows[3][0] = "第一段：牛肉饭很好吃,分量足\n第二段：送餐有点慢,但是热的\n第三段,总体满意"
    rows[9][0] = '他说"好吃"\n我也觉得,下次还来'
    path = write_csv(tmp_path / "multi.csv", ["评论内容", "评论时间", "评分"], rows)
    df = read_reviews(path)
    assert len(df) == 30
    assert df["评论内容"].iloc[3] == rows[3][0] and df["评论内容"].iloc[9] == rows[9][0]


def test_unknown_quoting_is_an_input_error(cn_csv: Path) -> None:
    with pytest.raises(InputError, match=r"unknown quoting 'off'; use --quoting standard or --quoting none"):
        read_reviews(cn_csv, quoting="off")


def test_headerless_csv_is_refused_then_read_with_no_header(tmp_path: Path) -> None:
    rows = dump_rows(20)
    path = tmp_path / "nohead.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    with pytest.raises(
        ColumnError,
        match=r"nohead\.csv: the first row looks like a review, not a header \(column 1 would be named "
        r"'这家店的牛肉饭很好吃.*--no-header",
    ):
        read_reviews(path)
    df, report = read_reviews_with_report(path, no_header=True)
    assert len(df) == 20 and report.mapping["text"] == "1"
    assert df["text"].iloc[0] == rows[0][0]
    assert read_reviews(path, no_header=True, time_col="2")["time"].notna().all()


def test_headerless_workbook_reads_with_no_header(tmp_path: Path) -> None:
    path = write_rows_xlsx(tmp_path / "nohead.xlsx", dump_rows(5))
    with pytest.raises(ColumnError, match=r"first row looks like a review.*--no-header"):
        read_reviews(path)
    from openpyxl import load_workbook

    book = load_workbook(path)
    notes = book.create_sheet("说明")
    for row in (["说明"], ["本表导出于2026年11月，共五条评价"]):
        notes.append(row)
    book.save(path)  # a second sheet (with a guessable text column) does not turn this into --sheet advice
    with pytest.raises(ColumnError, match=r"first row looks like a review.*--no-header"):
        read_reviews(path)
    assert read_reviews(path, no_header=True)["text"].tolist() == [r[0] for r in dump_rows(5)]


def test_headerless_workbook_keeps_a_column_the_first_row_leaves_empty(tmp_path: Path) -> None:
    rows = [["这家的卤味太咸了，吃完一直喝水", None], ["薯片一点都没受潮，回购了", 5],
            ["分量比上次少了一半", 3]]
    path = write_rows_xlsx(tmp_path / "nohead.xlsx", rows)
    df = read_reviews(path, no_header=True, rating_col="2")
    assert df["text"].tolist() == [r[0] for r in rows]
    assert df["rating"].tolist()[1:] == [5, 3]  # the first review's empty rating narrowed nothing


@pytest.mark.parametrize("question", ["您对本产品的口味有什么意见或建议？", "请描述您这次购物遇到的问题",
                                      "本次用餐的整体感受与评价："])
def test_a_survey_question_as_header_is_no_data_row(tmp_path: Path, question: str) -> None:
    rows = [["这家店的牛肉面真的很好吃，汤头浓郁"], ["送餐速度太慢了，面都坨了，差评"]]
    path = write_csv(tmp_path / "survey.csv", [question], rows)
    assert read_reviews(path)["text"].tolist() == [r[0] for r in rows]


def test_long_header_with_a_named_column_is_no_data_row(tmp_path: Path) -> None:
    rows = [
        ["这家店的牛肉面真的很好吃，汤头浓郁", "2026-11-01"],
        ["送餐速度太慢了，面都坨了，差评", "2026-11-02"],
    ]
    path = write_csv(tmp_path / "long.csv", ["您对本次购物的整体评价与建议", "评论时间"], rows)
    df, report = read_reviews_with_report(path)
    assert report.mapping["text"] == "您对本次购物的整体评价与建议" and len(df) == 2


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_repeated_text_column_is_ambiguous(tmp_path: Path, fmt: str) -> None:
    header = ["评论内容", "评论时间", "评论内容"]
    rows = [["好吃，下次还来", "2026-11-01", "追评：还是好吃"], ["太咸了", "2026-11-02", ""]]
    if fmt == "csv":
        path = write_csv(tmp_path / "dup.csv", header, rows)
    else:
        path = write_rows_xlsx(tmp_path / "dup.xlsx", [header, *rows])
    with pytest.raises(
        ColumnError,
        match=rf"dup\.{fmt}: several columns could hold the review text: the header repeats '评论内容' "
        r"\(columns 1, 3, read as '评论内容', '评论内容\.1'\); pass --text-col NAME",
    ):
        read_reviews(path)
    df, report = read_reviews_with_report(path, text_col="评论内容.1")
    assert df["text"].iloc[0] == "追评：还是好吃"
    assert any("the header repeats '评论内容'" in n for n in report.notes)


def test_repeated_time_column_is_ambiguous(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "t.csv", ["评论内容", "评论时间", "评论时间"], [["好吃", "2026-11-01", "2026-11-09"]]
    )
    with pytest.raises(ColumnError, match=r"t\.csv: several columns could hold the time: .*--time-col NAME"):
        read_reviews(path)


def test_xlsx_saved_as_csv_is_read_as_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    pd.DataFrame({"评论内容": DUMP_REVIEWS[:3], "评分": ["5", "1", "2"]}).to_excel(path, index=False,
                                                                             engine="openpyxl")
    df, report = read_reviews_with_report(path)
    assert df["text"].tolist() == DUMP_REVIEWS[:3] and report.format == "xlsx"
    assert any("Excel workbook despite its name 'export.csv'" in n for n in report.notes)


@pytest.mark.parametrize("name", ["export.txt", "export", "export.dat", "评价导出"])
def test_xlsx_named_txt_or_without_extension_is_read_as_a_workbook(tmp_path: Path, name: str) -> None:
    book = tmp_path / "book.xlsx"
    pd.DataFrame({"评论内容": DUMP_REVIEWS, "评分": ["5", "1", "2", "4", "3", "5"]}).to_excel(
        book, index=False, engine="openpyxl")
    path = tmp_path / name
    book.rename(path)
    df, report = read_reviews_with_report(path)
    assert df["text"].tolist() == DUMP_REVIEWS and report.format == "xlsx" and report.encoding is None
    assert any(f"Excel workbook despite its name {name!r}" in n for n in report.notes), report.notes
    import zipfile

    zipped = tmp_path / "archive"
    with zipfile.ZipFile(zipped, "w") as archive:  # a zip that is no workbook stays refused
        archive.writestr("reviews.csv", "评论内容\n好吃\n")
    with pytest.raises(InputFormatError, match=r"archive: cannot tell the format from the extension"):
        read_reviews(zipped)


def test_zip_and_old_xls_named_csv_are_refused(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "reviews.csv"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("reviews.csv", "评论内容\n好吃\n")
    with pytest.raises(InputFormatError, match=r"reviews\.csv: is a zip archive, not csv text; unzip it"):
        read_reviews(path)
    old = tmp_path / "old.csv"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(InputFormatError, match=r"old\.csv: is an old Excel \.xls.*save the sheet"):
        read_reviews(old)


def test_reviews_on_another_sheet_name_that_sheet(tmp_path: Path) -> None:
    path = tmp_path / "three.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        summary = pd.DataFrame({"供应商": ["甲", "乙"], "数量": ["1", "2"]})
        summary.to_excel(xl, sheet_name="汇总", index=False)
        pd.DataFrame({"评论内容": DUMP_REVIEWS}).to_excel(xl, sheet_name="评价明细", index=False)
        pd.DataFrame({"说明": ["导出于2026年"]}).to_excel(xl, sheet_name="说明", index=False)
    with pytest.raises(
        ColumnError,
        match=r"three\.xlsx: the first sheet '汇总' has no review text column .* sheet '评价明细' has one "
        r"\('评论内容'\); pass --sheet 评价明细 \(the workbook's sheets: '汇总' \(read: the first sheet\), "
        r"'评价明细' \(text column '评论内容'\), '说明' \(text column guessed: '说明'\)\)",
    ):
        read_reviews(path)
    assert len(read_reviews(path, sheet="评价明细")) == len(DUMP_REVIEWS)


def test_a_sheet_name_with_a_space_is_quoted_in_the_advice(tmp_path: Path) -> None:
    path = tmp_path / "two.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        summary = pd.DataFrame({"供应商": ["甲", "乙"], "数量": ["1", "2"]})
        summary.to_excel(xl, sheet_name="汇总", index=False)
        pd.DataFrame({"评论内容": DUMP_REVIEWS}).to_excel(xl, sheet_name="11月 评价", index=False)
    with pytest.raises(ColumnError, match=r"pass --sheet '11月 评价' "):  # copied to a shell, it works
        read_reviews(path)


#: characters of the generated reviews: Chinese, full-width punctuation, digits (no delimiter, quote or space)
REVIEW_CHARS = ("好吃难送餐太慢包装破损汤洒差评瓜子香受潮味道一般价格贵老板热情服务态度推荐牛肉饭分量足"
                "，。！？、～0123456789")

#: how a generated row is corrupted; "none" is weighted so that many files read cleanly
CORRUPTIONS = ("none",) * 6 + (
    "stray_quote", "short", "extra", "two_lines", "inner_quote", "nul", "bad_bytes")


def test_corrupted_csvs_lose_no_row_silently(tmp_path: Path) -> None:
    """Generated CSVs of Chinese reviews, randomly corrupted (stray quotes, ragged rows, blank lines,
    NUL bytes, bytes that are not the encoding): either a clear error naming the file, or every data
    row read, the short ones counted as padded. Derandomized, so a run in CI is the run here."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    row = st.tuples(
        st.text(REVIEW_CHARS, min_size=1, max_size=24),
        st.sampled_from(CORRUPTIONS),
        st.integers(0, 15).map(lambda k: k == 0),  # a blank line after the row, now and then
    )
    dump = st.tuples(st.lists(row, min_size=1, max_size=40), st.sampled_from(["utf-8", "gb18030"]))
    outcomes = {"read": 0, "refused": 0}

    @settings(max_examples=60, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(dump)
    def check(generated: tuple[list[tuple[str, str, bool]], str]) -> None:
        rows, codec = generated
        data, short = [",".join(["评论内容", "评论时间", "评分"]).encode(codec) + b"\n"], 0
        for i, (review, corruption, blank_after) in enumerate(rows):
            cells = [review, f"2026-11-{i % 28 + 1:02d} 12:00", str(i % 5 + 1)]
            bad = b""
            if corruption == "stray_quote":
                cells[0] = '"' + cells[0]
            elif corruption == "short":
                cells, short = cells[: 1 + i % 2], short + 1
            elif corruption == "extra":
                cells.insert(1, "真的")  # an unquoted extra field
            elif corruption == "two_lines":
                cells[0] = '"' + cells[0] + ',\n追评：还行"'  # a genuine quoted field over two lines
            elif corruption == "inner_quote":
                cells[0] = cells[0][:1] + '"' + cells[0][1:]
            elif corruption == "nul":
                cells[0] = cells[0][:1] + "\x00" + cells[0][1:]
            elif corruption == "bad_bytes":
                bad = b"\xff"  # no UTF-8 or GB18030 byte sequence starts with it
            line = ",".join(cells).encode(codec)
            data.append(line[:3] + bad + line[3:] + b"\n" + (b"\n" if blank_after else b""))
        path = tmp_path / "dump.csv"
        path.write_bytes(b"".join(data))
        try:
            df, report = read_reviews_with_report(path)
        except InputError as err:
            assert str(err).startswith(f"{path}: "), str(err)
            outcomes["refused"] += 1
            return
        assert len(df) == len(rows), f"{len(rows)} rows in, {len(df)} out"
        assert report.short_rows == short
        outcomes["read"] += 1

    check()
    assert outcomes["read"] > 10 and outcomes["refused"] > 10, outcomes
