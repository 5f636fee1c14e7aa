"""Joined scans (koubei.text.batch): which patterns read a batch joined as they read each text."""

from __future__ import annotations

import re

import pytest

from koubei.classify.lexicon import load_lexicon
from koubei.text.batch import Joined, scans_alike, with_first_chars


@pytest.mark.parametrize(("pattern", "alike"), [
    ("没有|没", True), (r"\bnice\b", True), ("在线(?![客支])", True), ("比[^,，|]{0,4}?差", True),
    ("(a)\\1", True),
    ("^好", False), ("好$", False), (r"\A好", False), ("好.吃", False),  # anchors; . matches the separator
    ("比[^,，]{0,4}差", False), (r"[\W]x", False), ("(?<=[,|])x", False),  # classes that hold it
    ("x*", False), ("(?!开始)", False), ("a|", False),  # may match nothing
])
def test_scans_alike_reads_the_pattern(pattern: str, alike: bool) -> None:
    assert scans_alike(pattern, "|") is alike


def test_joined_finds_what_each_text_alone_gives() -> None:
    texts = ["nice，好吃", "", "比以前差", "在线客服", "nicer", "没有没有"]
    joined = Joined(texts, "|")
    for pattern in ("没有|没", r"\bnice\b", "在线(?![客支])", "比[^,，|]{0,4}?差"):
        assert scans_alike(pattern, "|")
        alone = [[m.group() for m in re.finditer(pattern, t)] for t in texts]
        together: list[list[str]] = [[] for _ in texts]
        for m in re.finditer(pattern, joined.text):
            together[joined.owner(m.start())].append(m.group())
        assert together == alone, pattern


def test_the_shipped_lexicon_reads_a_batch_as_each_text_alone() -> None:
    texts = ["一点都没受潮，就是有点软", "", "不过敏", "不过味道一般", "没有以前那么贵", "比上次差多了",
             "还好不辣，nice", "味道在线，在线客服不错", "越来越难吃了！", "|不贵|", "没"]
    lex, alone = load_lexicon(), load_lexicon()
    assert lex._joinable
    assert lex.evidence_many(texts) == [alone._read_one(t) for t in texts]


@pytest.mark.parametrize(("pattern", "starts"), [
    ("(还行|还可以(?!开始))|在线(?![客支])|\\bnice\\b", "还在n"),  # a group, a literal, an assertion first
    ("(?:^|(?<=[,，]))(?:就是|但是)", "就但"),  # zero-width first: the next item gives the first character
    ("x?(?:ab|[c-e])", "xace"),  # an optional item adds its first characters to the next one's
])
def test_first_chars_prefilter_finds_the_same_matches(pattern: str, starts: str) -> None:
    plain = re.compile(pattern)
    fast = with_first_chars(plain)
    assert fast.pattern.startswith("(?=[") and set(starts) <= set(fast.pattern[4:fast.pattern.index("]")])
    text = "还行，就是在线nice,但是还可以开始 xab c 在线客服 nicer e"
    assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)]
    assert fast.groups == plain.groups


@pytest.mark.parametrize("pattern", ["没有|没", "[ab]x", "x*", "[^,]x|y", "a.b|c", "(?i:ab)|(c)"])
def test_first_chars_leaves_quick_or_unknown_patterns(pattern: str) -> None:
    plain = re.compile(pattern)
    assert with_first_chars(plain) is plain
