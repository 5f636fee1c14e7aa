"""The generated benchmark page and README figures match scripts/results/*.json (gen_benchmarks.py)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from scripts_loader import load_script

ROOT = Path(__file__).resolve().parents[1]


gen = load_script("gen_benchmarks")


def _copy_repo(tmp_path: Path) -> Path:
    """The files the generator reads and writes, copied so a test can change them."""
    for rel in ("README.md", "README.zh-CN.md", "docs/benchmarks.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    shutil.copytree(ROOT / "scripts" / "results", tmp_path / "scripts" / "results")
    return tmp_path


def test_committed_pages_match_the_results() -> None:
    assert gen.stale(ROOT) == [], "run python scripts/gen_benchmarks.py and commit the result"


def test_check_names_every_page_a_new_result_makes_stale(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    root = _copy_repo(tmp_path)
    path = root / "scripts" / "results" / "evaluate.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["topics"]["micro_f1"] = 0.9123
    path.write_text(json.dumps(data), encoding="utf-8")
    assert gen.main(["--check", "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert "docs/benchmarks.md" in err and "README.md" in err and "README.zh-CN.md" in err
    assert "python scripts/gen_benchmarks.py" in err
    assert gen.main(["--root", str(root)]) == 0  # regenerate, then the check passes
    assert gen.main(["--check", "--root", str(root)]) == 0
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "| Topic micro-F1 (5-fold CV on the gold labels) | 0.912 | ≥ 0.90 | yes |" in readme
    assert "## Status" in readme and "## Documentation" in readme  # text outside the markers kept


def test_a_hand_edit_inside_the_markers_is_stale(tmp_path: Path) -> None:
    root = _copy_repo(tmp_path)
    readme = root / "README.zh-CN.md"
    text = readme.read_text(encoding="utf-8")
    block = text[text.index("<!-- figures:start -->"):]
    figure = re.search(r"\| (0\.\d{3}) \|", block)
    assert figure is not None  # the first measured figure of the generated table
    readme.write_text(text.replace(figure.group(0), "| 0.999 |", 1), encoding="utf-8")
    assert gen.stale(root) == [Path("README.zh-CN.md")]


def test_a_readme_without_markers_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _copy_repo(tmp_path)
    (root / "README.md").write_text("# koubei\n", encoding="utf-8")
    assert gen.main(["--check", "--root", str(root)]) == 2
    assert "README.md: no <!-- figures:start --> ... <!-- figures:end --> markers" in capsys.readouterr().err


def test_every_results_file_is_on_the_page_with_command_machine_and_date() -> None:
    results = gen.load_results()
    page = gen.benchmarks_page(results)
    for stem, data in results.items():
        line = next((x for x in page.splitlines() if f"`scripts/results/{stem}.json` · command:" in x), None)
        assert line is not None, stem
        for key in ("machine", "date"):
            assert f"{key}: {data.get(key) or gen.NOT_RECORDED}" in line, (stem, key)


def test_a_file_without_machine_or_date_says_not_recorded() -> None:
    results = {"bench_new": {"command": "python scripts/bench_new.py", "rows": 3}}
    page = gen.benchmarks_page(results)
    assert ("`scripts/results/bench_new.json` · command: `python scripts/bench_new.py` · "
            "machine: not recorded · date: not recorded") in page
    assert "| rows | 3 |" in page


@pytest.mark.parametrize(("op", "value", "unit", "x", "text", "met"), [
    (">=", 0.90, "", 0.853, "≥ 0.90", False),
    (">=", 0.945, "", 0.9387, "≥ 0.945", False),
    (">=", 0.95, "%", 0.768, "≥ 95%", False),
    (">=", 10_000, "reviews/s", 24_704, "≥ 10,000 reviews/s", True),
    ("<=", 30, "s", 32.0, "≤ 30 s", False),
    ("<=", 60, "s", 26.8, "≤ 60 s", True),
])
def test_targets(op: str, value: float, unit: str, x: float, text: str, met: bool) -> None:
    target = gen.Target(op, value, "issue 0", unit)
    assert target.text() == text
    assert target.met(x) is met
