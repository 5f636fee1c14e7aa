"""A review far longer than any real one (a pasted log, a whole chat) is read in part and flagged."""

from __future__ import annotations

from koubei.io import canonicalize
from koubei.text.docs import prepare
from koubei.text.normalize import MAX_REVIEW_CHARS

CLAUSE = "薯片太咸了，送得很慢。"
LONG = CLAUSE * (MAX_REVIEW_CHARS // len(CLAUSE) + 50)


def test_the_models_read_the_first_characters_of_a_long_review() -> None:
    doc = prepare(LONG)
    assert len(doc.norm) <= MAX_REVIEW_CHARS
    assert doc.norm.startswith("薯片太咸了")
    assert len(prepare(CLAUSE * 3).norm) == len(CLAUSE) * 3  # a normal review is read whole


def test_a_long_review_is_flagged_truncated_and_kept_whole() -> None:
    out = canonicalize(["味道不错，就是送得有点慢", LONG])
    assert out["flags"].tolist() == ["", "truncated"]
    assert out["text"].iloc[1] == LONG  # the text column keeps every character


def test_a_long_review_is_scored_from_its_first_part(default_model) -> None:  # type: ignore[no-untyped-def]
    pred = default_model.predict([LONG])[0]
    assert pred.topics.get("taste") == "neg" and "too_salty" in pred.taste_detail
    assert pred.topics.get("delivery_logistics") == "neg"


def test_new_kinds_of_complaint_read_the_same_first_characters() -> None:
    from koubei.detect.novel import keyword_tokens

    tail = "包装盒里有一只蟑螂" * 2_000  # past the cap: words the models never read
    assert keyword_tokens(LONG + tail) == keyword_tokens(LONG[:MAX_REVIEW_CHARS])
    assert "蟑螂" not in keyword_tokens(LONG + tail)
