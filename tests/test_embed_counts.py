"""TfidfEmbedder.transform's own n-gram counting equals scikit-learn's analyzers, value for value."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from koubei.embed.ngram_counts import CharCounter, CodeIndex, WordCounter, word_grams
from koubei.embed.tfidf import TfidfEmbedder
from koubei.text.docs import Doc, prepare_many

REVIEWS = [
    "送得很快，但是味道太淡了，分量也少",
    "不好吃，不新鲜，没有味道",
    "豐富的口味，ＡＢＣ１２３！😋👍🏻 好吃",
    "o_o 1.5元 20-8 iPhone12 太赞了",
    "味道不错就是有点贵",
    "味道不错",
    "好吃",
    "好吃",
    "𠮷野家的饭 不好吃",  # a character outside the BMP
    "",
]
#: docs no segmenter makes, for the corners of the analyzers
ODD_DOCS = [
    Doc(norm="", words=[]),
    Doc(norm="a  b\t\tc", words=["a b", " ", "c", ""]),  # a space inside a word, a blank word
    Doc(norm="\n\n好", words=["\n", "好"]),
    Doc(norm="o_o_o", words=["o_o", "o", "o_o"]),  # underscores inside words
    Doc(norm="x", words=["x"]),
]


def _sklearn_transform(emb: TfidfEmbedder, docs: list[Doc]) -> sparse.csr_matrix:
    """The transform as it was: both fitted TfidfVectorizers on strings."""
    a = emb.char_.transform([d.norm for d in docs])
    b = emb.word_.transform(emb._word_docs(docs))
    return sparse.hstack([a, b], format="csr", dtype=np.float32)


def _same(new: sparse.csr_matrix, old: sparse.csr_matrix) -> None:
    assert type(new) is type(old) and new.dtype == old.dtype and new.shape == old.shape
    new, old = new.copy(), old.copy()
    new.sort_indices()
    old.sort_indices()
    np.testing.assert_array_equal(new.indptr, old.indptr)
    np.testing.assert_array_equal(new.indices, old.indices)
    np.testing.assert_array_equal(new.data, old.data)  # bit for bit, not approximately


@pytest.fixture(scope="module")
def docs() -> list[Doc]:
    return prepare_many(REVIEWS) + ODD_DOCS


def test_transform_equals_the_vectorizers_on_a_fitted_embedder(docs: list[Doc]) -> None:
    emb = TfidfEmbedder(min_df=1, max_features=None).fit(docs)
    assert "" in emb.word_.vocabulary_ and "o_o_o" in emb.word_.vocabulary_  # the corners are in play
    _same(emb.transform(docs), _sklearn_transform(emb, docs))
    clauses = [c for d in docs for c in d.clauses]
    _same(emb.transform(clauses), _sklearn_transform(emb, clauses))


def test_transform_equals_the_vectorizers_after_a_round_trip(docs: list[Doc]) -> None:
    emb = TfidfEmbedder.from_state(*TfidfEmbedder(min_df=1).fit(docs[:6]).to_state())
    _same(emb.transform(docs), _sklearn_transform(emb, docs))


def test_transform_equals_the_vectorizers_with_the_shipped_model(default_model, docs) -> None:  # type: ignore[no-untyped-def]
    emb = default_model.components.embedder
    more = prepare_many([r + "，下次还点" for r in REVIEWS] * 3, default_model.segmenter)
    _same(emb.transform(docs + more), _sklearn_transform(emb, docs + more))


def test_other_ngram_ranges_fall_back_to_scikit_learn(docs: list[Doc]) -> None:
    emb = TfidfEmbedder(char_ngrams=(2, 4), word_ngrams=(1, 3), min_df=1).fit(docs)
    assert emb._counters() == (None, None)
    _same(emb.transform(docs), _sklearn_transform(emb, docs))
    emb = TfidfEmbedder(char_ngrams=(2, 3), word_ngrams=(2, 2), min_df=1).fit(docs)
    _same(emb.transform(docs), _sklearn_transform(emb, docs))


def test_refitting_rebuilds_the_counters(docs: list[Doc]) -> None:
    emb = TfidfEmbedder(min_df=1).fit(docs[:3])
    emb.transform(docs)
    emb.fit(docs)
    _same(emb.transform(docs), _sklearn_transform(emb, docs))


def test_word_grams_match_the_joined_string_form() -> None:
    words = ["不", "NOT_好吃", " ", "a b", "o_o"]
    assert word_grams(words, 1, 2) == ["不", "NOT_好吃", "a_b", "o_o",
                                       "不_NOT_好吃", "NOT_好吃_a_b", "a_b_o_o"]
    assert word_grams(words, 2, 3)[-1] == "NOT_好吃_a_b_o_o"
    assert word_grams([], 1, 2) == []


def test_code_index_finds_exactly_the_codes_it_holds() -> None:
    rng = np.random.default_rng(0)
    codes = np.unique(rng.integers(1, 2**62, size=5000))
    index = CodeIndex(codes, np.arange(len(codes)))
    queries = np.concatenate([codes[::3], rng.integers(1, 2**62, size=3000)])
    known, features = index.find(queries)
    truth = {int(c): i for i, c in enumerate(codes)}
    expect = [truth.get(int(q), -1) for q in queries]
    np.testing.assert_array_equal(known, np.asarray(expect) >= 0)
    np.testing.assert_array_equal(features, [e for e in expect if e >= 0])
    assert CodeIndex(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)).find(codes)[0].sum() == 0
    with pytest.raises(ValueError, match="positive"):
        CodeIndex(np.array([0, 5]), np.array([0, 1]))


def test_counters_refuse_ranges_they_cannot_code() -> None:
    with pytest.raises(ValueError, match="1..3"):
        CharCounter({"a": 0}, 1, 4)
    with pytest.raises(ValueError, match="1..2"):
        WordCounter({"a": 0}, 1, 3)
