"""Joined scans (koubei.text.batch): which patterns read a batch joined as they read each text."""

from __future__ import annotations

import re

import pytest

from koubei.classify.lexicon import lexicon_from_dict, load_lexicon
from koubei.text.batch import Joined, _top_branches, prefilter, scans_alike, with_first_chars


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


#: an alternation one of whose branches opens on a negated class (no first characters to tell)
UNTOLD = ("(?:在线(?![客支]))|(?:(?<![^，,])[^，,以说]{0,6}?(?<![不没])[和跟](图片|描述)的?一样)"
          "|(?:还行|还可以)|(x)")
TEXTS = ["颜色和图片一样，很满意", "不和图片一样", "说和图片一样", "还行", "在线客服还可以", "和描述一样x",
         "质量和图片一样差不多", "", "一样"]


def test_first_chars_around_a_branch_it_cannot_tell_finds_the_same_matches() -> None:
    plain = re.compile(UNTOLD)
    fast = with_first_chars(plain)
    assert fast.pattern != plain.pattern and fast.pattern.count("(?=[") == 2  # the runs either side
    for text in TEXTS + ["，".join(TEXTS)]:
        assert [(m.span(), m.groups()) for m in fast.finditer(text)] == \
               [(m.span(), m.groups()) for m in plain.finditer(text)], text
    assert fast.groups == plain.groups


def test_prefilter_matches_wherever_the_pattern_does_and_skips_the_rest() -> None:
    plain = re.compile(UNTOLD)
    fast = prefilter(plain)
    assert fast.pattern.startswith("(?=[") and "和跟" in fast.pattern  # the branch stood for by 和/跟
    for text in TEXTS:
        assert not plain.search(text) or fast.search(text), text
    assert fast.search("不和图片一样") and not plain.search("不和图片一样")  # a superset, not the same
    assert not fast.search("味道不错") and not fast.search("一样")


@pytest.mark.parametrize("pattern", ["[^,]+|y", "[^,]*|a", "(?i:ab)|(c)"])
def test_prefilter_without_characters_to_stand_for_a_branch_keeps_it(pattern: str) -> None:
    plain = re.compile(pattern)
    assert prefilter(plain).pattern == with_first_chars(plain).pattern


@pytest.mark.parametrize(("source", "branches"), [
    ("(?:(?:a)|(?:b|c))|d", ["a", "b", "c", "d"]),  # whole non-capturing groups opened
    ("(a|b)|c", ["(a|b)", "c"]),  # a capturing group stays whole: its number holds
    ("(?:a|b)+|c", ["(?:a|b)+", "c"]),  # so does a repeated one
    ("[|]x|\\|y|[]|]z", ["[|]x", "\\|y", "[]|]z"]),  # | in a class or escaped is no branch
    ("a|(?#[)(|)b|c", ["a", "(?#[)(|)b", "c"]),  # nor in a (?#...) comment, whatever it holds
])
def test_top_branches(source: str, branches: list[str]) -> None:
    assert _top_branches(source) == branches


def test_the_shipped_lexicon_prefilter_opens_on_its_first_characters() -> None:
    # lexicon 1.13's 和图片一样 pattern opens on a negated class: before, it left the prefilter
    # trying every branch at every position (evidence of a batch took about three times as long)
    lex = load_lexicon()
    assert lex._any is not None and lex._any.pattern.startswith("(?=[") and "(?:[和跟与])" in lex._any.pattern
    # so does a lexicon without the lists 1.14 added (a bundle's older copy): a pattern for a list
    # it lacks matches nothing, and left in the union it made the prefilter fall back to the whole
    raw = lex.to_dict()
    del raw["experienced"], raw["plain_praise"]
    older = lexicon_from_dict(raw)
    assert older._any is not None and "(?:[和跟与])" in older._any.pattern


@pytest.mark.parametrize(("pattern", "flags", "texts"), [
    ("a #|[\n|[^,]q|]", re.VERBOSE, ["xq", "a", "]"]),  # a comment hides a bracket and bars
    ("a|b|(?#[)((]|x)|y)|[^,]z", 0, ["y", "x", "qz", "b"]),  # so does a (?#...) comment
    ("(?s)a|[^,]b和|c", 0, ["xb和", "a", "c"]),  # a global flag the rewrite would move
    ("(?s)x?y", 0, ["xy", "y"]),
    ("x?y # c", re.VERBOSE, ["xy", "y"]),
])
def test_rewrites_keep_what_they_cannot_read_safely(pattern: str, flags: int, texts: list[str]) -> None:
    plain = re.compile(pattern, flags)
    fast, pre = with_first_chars(plain), prefilter(plain)
    for text in texts:
        assert [(m.span(), m.groups()) for m in fast.finditer(text)] == \
               [(m.span(), m.groups()) for m in plain.finditer(text)], text
        assert not plain.search(text) or pre.search(text), text
