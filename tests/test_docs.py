"""The docs site says what the code does: the generated CLI reference is current, and the
hand-written reference pages name every command, option, column, exit code and taxonomy entry."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest
import typer
from scripts_loader import load_script

from koubei.cli import Terminated, app, translate_errors
from koubei.errors import KoubeiError

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference"


def _page(name: str) -> str:
    return (REFERENCE / name).read_text(encoding="utf-8")


def _generator() -> ModuleType:
    return load_script("gen_cli_reference")


def _commands() -> list[tuple[str, Any]]:
    """("koubei score", command) for every command and subcommand of the app."""
    import typer.main

    return _generator().walk(typer.main.get_command(app))[1:]


def test_cli_reference_is_current() -> None:
    gen = _generator()
    committed = gen.PAGE.read_text(encoding="utf-8") if gen.PAGE.is_file() else ""
    assert committed == gen.render(), ("docs/reference/cli.md does not match the CLI; "
                                       "regenerate it with: python scripts/gen_cli_reference.py")


def test_cli_reference_documents_every_command_and_option() -> None:
    page = _page("cli.md")
    commands = _commands()
    assert {path for path, _ in commands} >= {"koubei score", "koubei issues list", "koubei demo"}
    for path, cmd in commands:
        assert f"## `{path}`" in page, f"{path} missing from docs/reference/cli.md"
        for param in cmd.params:
            if getattr(param, "hidden", False):  # an old name still read (demo --out-dir), not shown
                assert f"`{param.opts[0]}`" not in page
                continue
            for opt in (*param.opts, *param.secondary_opts):
                if opt.startswith("-"):
                    assert f"`{opt}`" in page, f"{path} {opt} missing from docs/reference/cli.md"


def test_every_command_option_and_argument_has_help() -> None:
    for path, cmd in _commands():
        assert (cmd.help or "").strip(), f"{path} has no help text"
        for param in cmd.params:
            assert (param.help or "").strip(), f"{path} {param.opts[0]} has no help text"


def test_generated_reference_does_not_depend_on_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    gen = _generator()
    wide = gen.render()
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setenv("TERM", "dumb")
    assert gen.render() == wide


def test_check_mode_names_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    gen = _generator()
    stale = tmp_path / "cli.md"
    stale.write_text(gen.render().replace("koubei score", "koubei scor", 1), encoding="utf-8")
    monkeypatch.setattr(gen, "PAGE", stale)
    monkeypatch.setattr(gen, "ROOT", tmp_path)
    assert gen.main(["--check"]) == 1
    assert "python scripts/gen_cli_reference.py" in capsys.readouterr().err
    assert gen.main([]) == 0 and gen.main(["--check"]) == 0


# -- output columns -----------------------------------------------------------------------

def _documented(page: str, column: str, placeholders: dict[str, str]) -> bool:
    """``column`` named on the page, itself or through its placeholder (``topic_<id>``)."""
    if f"`{column}`" in page:
        return True
    return any(re.fullmatch(pattern, column) and f"`{name}`" in page
               for pattern, name in placeholders.items())


def _placeholders() -> dict[str, str]:
    from koubei.taxonomy import load_taxonomy

    tax = load_taxonomy()
    topics = "|".join(tax.topic_ids)
    directions = "|".join(tax.direction_ids)
    return {f"topic_({topics})": "topic_<id>", f"({topics})_complaints": "<topic>_complaints",
            f"({topics})_complaint_rate": "<topic>_complaint_rate",
            f"taste_({directions})": "taste_<direction>"}


def _section(page: str, heading: str) -> str:
    start = page.index(f"## `{heading}`")
    end = page.find("\n## ", start + 1)
    return page[start:end if end > 0 else None]


def test_output_columns_of_score() -> None:
    from koubei.schema import CANONICAL_COLUMNS, FLAGS, OUTPUT_COLUMNS, STATUSES
    from koubei.taxonomy import load_taxonomy

    page = _section(_page("output-columns.md"), "koubei score")
    columns = [*CANONICAL_COLUMNS, *OUTPUT_COLUMNS, *(f"topic_{t}" for t in load_taxonomy().topic_ids)]
    missing = [c for c in (*columns, *FLAGS, *STATUSES) if not _documented(page, c, _placeholders())]
    assert not missing, f"not in docs/reference/output-columns.md (koubei score): {missing}"


def test_output_columns_of_aggregate() -> None:
    from scored_frames import frame, weekly

    from koubei.aggregate import aggregate

    bland = weekly(3, 10, 0.3, supplier="乙食品厂")
    torn = weekly(3, 10, 0.1, supplier="甲食品厂", offset=100, topic="packaging", direction="")
    scored = frame(bland + torn)
    scored["rating"] = 4.0
    scored["sentiment_score"] = 0.5
    scored["is_complaint"] = scored["sentiment"].eq("neg")
    scored["opinions"] = ""
    table = aggregate(scored, by=["supplier"], freq="W")
    assert len(table) == 6
    page = _section(_page("output-columns.md"), "koubei aggregate")
    missing = [c for c in table.columns if c != "supplier" and not _documented(page, c, _placeholders())]
    assert not missing, f"not in docs/reference/output-columns.md (koubei aggregate): {missing}"


def test_output_columns_of_emerging_and_the_store() -> None:
    from koubei.detect.novel import NOVEL_COLUMNS
    from koubei.store import history

    page = _section(_page("output-columns.md"), "koubei emerging")
    tables = re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", " ".join(history._DDL))
    names = [*NOVEL_COLUMNS, "status", *history.STATUSES, *history.RUN_COLUMNS, *tables]
    missing = [c for c in names if f"`{c}`" not in page]
    assert len(tables) == 5
    assert not missing, f"not in docs/reference/output-columns.md (koubei emerging): {missing}"


def test_output_columns_of_export() -> None:
    from koubei.export import columns

    page = _section(_page("output-columns.md"), "koubei export")
    schema = json.loads((ROOT / "corpora" / "schema" / "issues.schema.json").read_text(encoding="utf-8"))
    issue = schema["properties"]["issues"]["items"]
    if "$ref" in issue:
        issue = schema["$defs"][issue["$ref"].rsplit("/", 1)[1]]
    keys = [*schema["properties"], *issue["properties"]]
    headers = [h for cols in (columns.ISSUE_COLUMNS, columns.SUMMARY_COLUMNS, columns.REVIEW_ID_COLUMNS)
               for key, zh, en in cols for h in (zh, en) if not key.startswith("quote_")]
    sheets = [name for pair in columns.SHEETS.values() for name in pair]
    missing = [k for k, *_ in columns.ISSUE_COLUMNS if not k.startswith("quote_") and f"`{k}`" not in page]
    missing += [k for k in keys if f"`{k}`" not in page]
    missing += [h for h in (*headers, *sheets) if h not in page]
    assert not missing, f"not in docs/reference/output-columns.md (koubei export): {missing}"


def test_output_columns_of_report_and_suggest(default_model: Any) -> None:
    from koubei.io import canonicalize
    from koubei.report import CHART_IDS
    from koubei.train import suggest

    page = _page("output-columns.md")
    missing = [c for c in CHART_IDS if f"`{c}`" not in _section(page, "koubei report")]
    texts = ["味道太淡了，没什么味", "送餐太慢，等了两个小时", "包装破了汤洒了一袋子",
             "分量太少了，根本吃不饱"]
    picked = suggest(canonicalize(pd.DataFrame({"text": texts})), default_model, n=2).frame
    missing += [c for c in picked.columns if f"`{c}`" not in _section(page, "koubei suggest")]
    assert not missing, f"not in docs/reference/output-columns.md: {missing}"


# -- exit codes, taxonomy, API ------------------------------------------------------------

def _exit_code(exc: BaseException) -> int:
    def fail() -> None:
        raise exc

    with pytest.raises(typer.Exit) as stopped:
        translate_errors(fail)()
    return stopped.value.exit_code


def _subclasses(cls: type) -> list[type]:
    return [cls, *(s for sub in cls.__subclasses__() for s in _subclasses(sub))]


def test_exit_codes_page_lists_every_exit_code() -> None:
    page = _page("exit-codes.md")
    errors = _subclasses(KoubeiError)
    codes = {_exit_code(c("x")): c for c in errors}
    codes |= {_exit_code(KeyboardInterrupt()): KeyboardInterrupt, _exit_code(Terminated()): Terminated}
    assert {130, 143} <= set(codes)
    for code in sorted(codes):
        row = next((line for line in page.splitlines() if line.startswith(f"| `{code}` |")), None)
        assert row is not None, f"exit code {code} missing from docs/reference/exit-codes.md"
    for cls in errors:
        row = next(line for line in page.splitlines() if line.startswith(f"| `{cls.exit_code}` |"))
        assert f"`{cls.__name__}`" in row, f"{cls.__name__} not on the row of exit code {cls.exit_code}"


def test_taxonomy_page_matches_the_shipped_taxonomy() -> None:
    from koubei.taxonomy import load_taxonomy

    page = _page("taxonomy.md")
    tax = load_taxonomy()
    rows = [f"| `{t.id}` | {t.zh} | {t.en} | `{t.dimension}` |" for t in tax.topics]
    rows += [f"| `{d.id}` | {d.zh} | {d.en} |" for d in tax.dimensions]
    rows += [f"| `{d.id}` | {d.zh} | {d.en} |" for d in tax.taste_directions]
    missing = [row for row in rows if row not in page]
    assert not missing, f"docs/reference/taxonomy.md lacks or misnames: {missing}"
    assert f"version {tax.version}" in page


def test_api_page_names_objects_that_exist() -> None:
    targets = re.findall(r"^::: ([\w.]+)", _page("api.md"), flags=re.M)
    assert "koubei" in targets and len(targets) > 20
    for target in targets:
        parts = target.split(".")
        for i in range(len(parts), 0, -1):
            try:
                obj: Any = importlib.import_module(".".join(parts[:i]))
                break
            except ModuleNotFoundError:
                continue
        for name in parts[i:]:
            obj = getattr(obj, name)
        assert obj.__doc__, f"{target} (docs/reference/api.md) has no docstring"
