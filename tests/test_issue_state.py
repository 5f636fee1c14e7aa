"""One truth across commands: every output gives an issue the same status and first window.

``koubei emerging`` (its table and its printed lines), ``koubei issues list``,
``koubei export`` (xlsx, csv, md, json) and ``koubei report`` all read
:mod:`koubei.store.state` (issue 21, item 12).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from scored_frames import MONDAY, frame, review, weekly
from typer.testing import CliRunner

from koubei.cli import app
from koubei.store.state import issue_states, without_store

runner = CliRunner()
BLAND = "KB-e01336da1c"   # 乙食品厂 / 原味瓜子: a spike in 2026-W35 and again in W36
DRIFT = "KB-f6b2a8284d"   # 新鲜度 at 甲食品 / 原味瓜子: a rise from W33, flagged (drift) in W35 only
#: both flagged, then clean in W37-W39: resolved; first windows where their rises began
EXPECTED = {BLAND: ("resolved", "2026-W35"), DRIFT: ("resolved", "2026-W33")}


def several_windows() -> pd.DataFrame:
    """12 quiet weeks, a too-bland spike at 乙食品厂 (W35, W36), stale complaints rising at 甲食品
    (W33-W35), 3 quiet weeks."""
    rows = weekly(12, 40, 0.05, seed=1)
    rows += weekly(16, 40, [0.05] * 10 + [0.1, 0.15, 0.2, 0.05, 0.05, 0.05], seed=2, offset=10_000,
                   topic="freshness_quality", supplier="甲食品")
    last = MONDAY + pd.Timedelta(days=7 * 12)
    rows += [review(20_000 + j, last + pd.Timedelta(hours=j), topic="taste", direction="too_bland",
                    batch="B2611-02") for j in range(15)]
    rows += [review(21_000 + j, last + pd.Timedelta(hours=j)) for j in range(25)]
    rows += [review(22_000 + j, last + pd.Timedelta(days=7, hours=j), topic="taste", direction="too_bland",
                    batch="B2611-02") for j in range(12)]
    rows += weekly(3, 40, 0.05, start=last + pd.Timedelta(days=7), seed=3, offset=30_000)
    return frame(rows)


def cli(*args: str) -> str:
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return r.output


def per_issue(pairs: list[tuple[str, str, str]]) -> dict[str, set[tuple[str, str]]]:
    """issue_id → the (status, first_window) pairs an output gave it (one pair when they agree)."""
    out: dict[str, set[tuple[str, str]]] = {}
    for issue_id, status, first in pairs:
        out.setdefault(issue_id, set()).add((status, first))
    return out


def table_cells(text: str) -> list[list[str]]:
    """Rows of a rich (│) or Markdown (|) table: the cells of the lines that start with an issue id."""
    rows = []
    for line in text.splitlines():
        sep = "│" if "│" in line else "|"
        cells = [c.strip() for c in line.strip().strip(sep).split(sep)]
        if cells and cells[0].startswith("KB-"):
            rows.append(cells)
    return rows


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[Path, Path, str]:
    """A scored file, the store an --all-windows backfill filled, and the emerging command's output."""
    scored, store = tmp_path / "scored.parquet", tmp_path / "k.duckdb"
    several_windows().to_parquet(scored)
    printed = cli("emerging", scored, "--by", "supplier,product", "--all-windows", "--store", store,
                  "-o", tmp_path / "emerging.csv", "--no-novel")
    return scored, store, printed


def test_every_output_gives_each_issue_the_same_status_and_first_window(
        recorded: tuple[Path, Path, str], tmp_path: Path) -> None:
    scored, store, printed = recorded
    seen: dict[str, dict[str, set[tuple[str, str]]]] = {}

    table = pd.read_csv(tmp_path / "emerging.csv", encoding="utf-8-sig")
    assert table["issue_id"].value_counts()[BLAND] == 2          # one row per flagged window
    seen["emerging csv"] = per_issue(list(zip(table["issue_id"], table["status"], table["first_window"])))
    cli("emerging", scored, "--by", "supplier,product", "--all-windows", "--store", store,
        "-o", tmp_path / "emerging.xlsx", "--no-novel", "-q")   # the same data again changes nothing
    xlsx = pd.read_excel(tmp_path / "emerging.xlsx")
    seen["emerging xlsx"] = per_issue(list(zip(xlsx["issue_id"], xlsx["status"], xlsx["first_window"])))
    for issue_id, (status, _) in EXPECTED.items():
        assert re.search(rf"- {issue_id} \[{status}\]", printed), printed

    listed = table_cells(cli("issues", "list", "--store", store))
    seen["issues list"] = per_issue([(c[0], c[1], c[5]) for c in listed])

    for fmt in ("xlsx", "csv", "md", "json"):
        out = tmp_path / f"export.{fmt}"
        cli("export", "--store", store, "-o", out, "--lang", "en", "--status", "new,ongoing,resolved,muted")
        if fmt == "json":
            records = json.loads(out.read_text(encoding="utf-8"))["issues"]
            rows = [(r["issue_id"], r["status"], r["first_window"]) for r in records]
        elif fmt == "md":
            cells = table_cells(out.read_text(encoding="utf-8"))
            header = next(line for line in out.read_text(encoding="utf-8").splitlines() if "Issue ID" in line)
            names = [c.strip() for c in header.strip().strip("|").split("|")]
            rows = [(c[0], c[1], c[names.index("First window")]) for c in cells]
        else:
            df = pd.read_excel(out) if fmt == "xlsx" else pd.read_csv(out, encoding="utf-8-sig")
            rows = list(zip(df["Issue ID"], df["Status"], df["First window"]))
        seen[f"export {fmt}"] = per_issue(rows)

    cli("report", scored, "-o", tmp_path / "report.html", "--store", store)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    found = re.findall(r'<tr id="issue-(KB-[0-9a-f]+)">.*?class="status status-(\w+)".*?'
                       r'<td class="first-window">([^<]*)</td>', html, flags=re.S)
    seen["report"] = per_issue(found)

    expected = {i: {pair} for i, pair in EXPECTED.items()}
    for output, got in seen.items():
        assert got == expected, f"{output}: {got}"


def test_without_a_store_an_issue_has_one_first_window(tmp_path: Path) -> None:
    scored = tmp_path / "scored.parquet"
    several_windows().to_parquet(scored)
    cli("emerging", scored, "--by", "supplier,product", "--all-windows", "-o", tmp_path / "e.csv",
        "--no-novel")
    table = pd.read_csv(tmp_path / "e.csv", encoding="utf-8-sig")
    assert "status" not in table.columns
    got = per_issue([(i, "", f) for i, f in zip(table["issue_id"], table["first_window"])])
    assert got == {i: {("", first)} for i, (_, first) in EXPECTED.items()}


def test_issue_states() -> None:
    weeks = ["w1", "w2", "w3", "w4", "w5", "w6"]
    flags = [("a", "w2", "w1"), ("a", "w3", "w2"), ("b", "w1", "w1"), ("b", "w5", "w4"), ("c", "w6", "")]
    states = issue_states(weeks, flags, 2, muted={"c"})
    assert {i: (s.status, s.first_window) for i, s in states.items()} == {
        "a": ("resolved", "w1"),    # the earliest start of the episode's flags
        "b": ("new", "w4"),         # resolved after w1, new again in w5: the new episode's start
        "c": ("muted", "w6"),       # no detected start: the flagged window itself
    }
    issues = pd.DataFrame({"issue_id": ["a", "a"], "window": ["w2", "w3"], "first_window": ["w1", "w2"]})
    assert without_store(issues, weeks)["first_window"].tolist() == ["w1", "w1"]
