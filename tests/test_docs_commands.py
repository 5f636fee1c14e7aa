"""The documented commands stay true.

The README's and the tutorial's ``koubei`` commands and Python snippets run in a fresh folder holding
the demo dump (as a reader runs them from a checkout), and each output block shown right after one
(a ```` ```text ```` fence) must appear in what it printed, line by line and in order (a line ``...``
skips). The Chinese README shows the same code and outputs as the English one. Every ``koubei``
command written anywhere in the docs names a command and options that exist.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from koubei.cli import app

ROOT = Path(__file__).resolve().parents[1]
DEMO = Path("corpora/demo/snack_reviews.csv")
RUN_PAGES = ["README.md", "docs/tutorial.md"]
FENCE = re.compile(r"^[ \t]*```(\w*)[^\n]*\n(.*?)^[ \t]*```[ \t]*$", re.S | re.M)  # fences may be indented
INLINE = re.compile(r"`(koubei [^`]+)`")
runner = CliRunner()


@dataclass
class Block:
    lang: str
    code: str
    output: str | None  # the ```text block right after it, if any


def blocks(text: str) -> list[Block]:
    """The page's fenced code blocks in order, each with the output block that follows it."""
    found = list(FENCE.finditer(text))
    out: list[Block] = []
    for i, m in enumerate(found):
        if m.group(1) == "text" and i and not text[found[i - 1].end():m.start()].strip():
            continue  # an output, attached to the block before it
        nxt = found[i + 1] if i + 1 < len(found) else None
        follows = nxt is not None and nxt.group(1) == "text" and not text[m.end():nxt.start()].strip()
        output = textwrap.dedent(nxt.group(2)) if follows and nxt else None
        out.append(Block(m.group(1), textwrap.dedent(m.group(2)), output))
    return out


def koubei_commands(code: str) -> list[list[str]]:
    """The ``koubei ...`` commands of a shell block, also inside ``a && b`` chains; comments dropped."""
    commands = []
    for line in code.splitlines():
        for part in line.split("&&"):
            words = shlex.split(part, comments=True)
            if words[:1] == ["koubei"]:
                commands.append(words[1:])
    return commands


def missing_lines(expected: str, actual: str) -> list[str]:
    """Lines of ``expected`` not found in ``actual`` in order (trailing spaces ignored; ``...`` skips)."""
    lines = [x.rstrip() for x in actual.splitlines()]
    pos, missing = 0, []
    for want in (x.rstrip() for x in expected.splitlines()):
        if not want or want.strip() in ("...", "…"):
            continue
        try:
            pos = lines.index(want, pos) + 1
        except ValueError:
            missing.append(want)
    return missing


def run_block(block: Block, namespace: dict[str, Any]) -> str:
    """Run one block where the reader would (the current folder) and return what it printed."""
    if block.lang == "python":
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(block.code, "<docs>", "exec"), namespace)
        return buffer.getvalue()
    printed = []
    for args in koubei_commands(block.code):
        res = runner.invoke(app, args)
        assert res.exit_code == 0, f"koubei {' '.join(args)} exited {res.exit_code}:\n{res.output}"
        printed.append(res.output)
    return "\n".join(printed)


@pytest.mark.slow
@pytest.mark.parametrize("page", RUN_PAGES)
def test_page_commands_run_and_print_what_the_page_shows(page: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / DEMO).parent.mkdir(parents=True)
    shutil.copy(ROOT / DEMO, tmp_path / DEMO)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    ran = 0
    for block in blocks((ROOT / page).read_text(encoding="utf-8")):
        if block.lang not in ("bash", "python") or (block.lang == "bash" and not koubei_commands(block.code)):
            continue
        printed = run_block(block, namespace)
        ran += 1
        if block.output is not None:
            missing = missing_lines(block.output, printed)
            assert not missing, f"{page}: not printed by\n{block.code}\nmissing: {missing}\ngot:\n{printed}"
    assert ran >= 3, f"{page}: no commands found to run"


def _without_comments(block: Block) -> tuple[str, str, str | None]:
    code = "\n".join(line.split("  #")[0].rstrip() for line in block.code.splitlines())
    return block.lang, code, block.output


def test_chinese_readme_shows_the_same_code_and_outputs() -> None:
    en = blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    zh = blocks((ROOT / "README.zh-CN.md").read_text(encoding="utf-8"))
    assert [_without_comments(b) for b in zh] == [_without_comments(b) for b in en]


def test_both_readmes_keep_the_install_and_test_commands() -> None:
    # .ci/run runs exactly these two lines: a fresh machine needs nothing else
    install = 'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[dev]" && koubei demo'
    for page in ("README.md", "README.zh-CN.md"):
        codes = [b.code.strip() for b in blocks((ROOT / page).read_text(encoding="utf-8"))]
        assert install in codes and "python -m pytest" in codes, page
        first_screen = (ROOT / page).read_text(encoding="utf-8").splitlines()[:40]
        assert install in first_screen and "python -m pytest" in first_screen, page


def _doc_pages() -> list[Path]:
    return [ROOT / "README.md", ROOT / "README.zh-CN.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _written_commands(text: str) -> list[list[str]]:
    """Every ``koubei ...`` command in the page's shell blocks and inline code."""
    commands = [c for b in blocks(text) if b.lang in ("bash", "sh", "") for c in koubei_commands(b.code)]
    for span in INLINE.findall(text):
        commands += koubei_commands(span.replace("[", " ").replace("]", " "))
    return commands


def _options(command: Any) -> set[str]:
    return {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)} | {"--help"}


def unknown_options(args: list[str]) -> list[str]:
    """What in ``koubei ARGS`` is not a command or option of the app (empty when all is known)."""
    group: Any = typer.main.get_command(app)  # typer's own click: duck-typed, .commands on a group
    if not args or args[0].startswith("-"):
        return [a for a in args if a.startswith("--") and a not in ("--version", "--help")]
    command = group.commands.get(args[0])
    if command is None:
        return [args[0]]
    rest = args[1:]
    if hasattr(command, "commands") and rest and not rest[0].startswith("-"):
        sub = command.commands.get(rest[0])
        if sub is None:
            return [f"{args[0]} {rest[0]}"]
        command, rest = sub, rest[1:]
    known = _options(command)
    return [a for a in rest if re.match(r"-[A-Za-z-]", a) and a.split("=")[0] not in known]


def test_every_documented_command_and_option_exists() -> None:
    problems = []
    for page in _doc_pages():
        for args in _written_commands(page.read_text(encoding="utf-8")):
            bad = unknown_options(args)
            if bad:
                problems.append(f"{page.relative_to(ROOT)}: koubei {' '.join(args)}: unknown {bad}")
    assert not problems, "\n".join(problems)


def test_the_option_check_catches_a_wrong_option() -> None:
    assert unknown_options(["score", "in.csv", "-o", "x.parquet", "--text-col", "评论"]) == []
    assert unknown_options(["emerging", "s.parquet", "--no-novel", "--max-q", "0.1"]) == []
    assert unknown_options(["issues", "mute", "KB-1", "--store", "k.duckdb", "--reason", "x"]) == []
    assert unknown_options(["score", "in.csv", "--text-column", "x"]) == ["--text-column"]
    assert unknown_options(["issues", "delete", "KB-1"]) == ["issues delete"]
    assert unknown_options(["run", "monitor.toml", "--dry-run"]) == []
    assert unknown_options(["monitor", "monitor.toml"]) == ["monitor"]


def test_blocks_pair_code_with_its_output_and_lines_match_in_order() -> None:
    page = ("x\n```bash\nkoubei demo -o d && echo hi  # run it\n```\n\n```text\nb\n...\nd\n```\n"
            "```python\nprint(1)\n```\n")
    [shell, python] = blocks(page)
    assert (shell.lang, shell.output, python.output) == ("bash", "b\n...\nd\n", None)
    assert koubei_commands(shell.code) == [["demo", "-o", "d"]]
    assert missing_lines("b\n...\nd", "a\nb\nc\nd\n") == []
    assert missing_lines("d\nb", "a\nb\nc\nd\n") == ["b"]  # out of order
    assert missing_lines("b  \n", "b\n") == []
