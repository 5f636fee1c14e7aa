"""Word vectors learnt from unlabelled reviews, and their view of TF-IDF rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from koubei.classify.linear import WithDense, as_csr, decision
from koubei.embed.tfidf import TfidfEmbedder
from koubei.embed.wordvec import DenseView, ppmi_svd
from koubei.text.docs import prepare_many

# Reviews the team wrote: two word families (insects/hair in food, slow delivery)
# that never share a review, so only their contexts can tell them apart.
_HYGIENE = ["菜里吃出一只苍蝇，太恶心了", "饭里有一根头发，恶心死了", "汤里有一只虫子，太恶心了",
            "米饭里吃出苍蝇，恶心", "面里有头发，真恶心", "菜里有虫子，恶心得吃不下"]
_DELIVERY = ["送餐太慢了，等了两个小时", "外卖送得太慢，等了一个小时", "配送太慢，骑手迟到一个小时",
             "送得慢，等了好久才送到", "骑手送餐慢，超时一个小时", "太慢了，等了两个小时才送到"]
TEXTS = (_HYGIENE + _DELIVERY) * 8


@pytest.fixture(scope="module")
def fitted() -> tuple[TfidfEmbedder, DenseView, list]:
    docs = prepare_many(TEXTS)
    emb = TfidfEmbedder(min_df=1).fit(docs)
    return emb, DenseView.fit(emb, docs, dim=8, window=3, min_count=3), docs


def test_words_of_one_family_are_closer_than_across(fitted) -> None:  # type: ignore[no-untyped-def]
    vocab, E = ppmi_svd(prepare_many(TEXTS), dim=8, window=3, min_count=3)
    v = {w: E[i] for i, w in enumerate(vocab)}
    assert np.allclose(np.linalg.norm(E, axis=1), 1.0, atol=1e-5)
    assert float(v["苍蝇"] @ v["虫子"]) > float(v["苍蝇"] @ v["小时"])
    assert float(v["头发"] @ v["恶心"]) > float(v["头发"] @ v["送餐"])


def test_review_vectors_are_centred_unit_rows_of_the_tfidf_view(fitted) -> None:  # type: ignore[no-untyped-def]
    emb, dense, docs = fitted
    D = dense.transform(emb.transform(docs[:12]))
    assert D.shape == (12, 8) and D.dtype == np.float32
    assert np.allclose(np.linalg.norm(D + dense.mean, axis=1), 1.0, atol=1e-5)
    # centred on the fitting texts' average review
    assert np.abs(dense.transform(emb.transform(docs)).mean(axis=0)).max() < 1e-5
    # a hygiene review sits nearer the other hygiene reviews than the delivery ones
    sims = D @ D.T
    assert sims[0, 1:6].mean() > sims[0, 6:12].mean()


def test_text_without_known_words_reads_as_the_average_review(fitted) -> None:  # type: ignore[no-untyped-def]
    """A zero row after centring, not minus the mean (far from every training review)."""
    emb, dense, _ = fitted
    D = dense.transform(emb.transform(prepare_many(["", "xyz"])))
    assert np.all(D == 0)


def test_state_round_trip_keeps_the_view(fitted, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emb, dense, docs = fitted
    meta, arrays = dense.to_state()
    np.savez(tmp_path / "a.npz", **arrays)
    with np.load(tmp_path / "a.npz", allow_pickle=False) as z:
        back = DenseView.from_state(meta, {k: z[k] for k in z.files})
    X = emb.transform(docs[:12])
    assert np.abs(back.transform(X) - dense.transform(X)).max() < 2e-3  # float16 storage


def test_state_with_wrong_width_is_refused(fitted) -> None:  # type: ignore[no-untyped-def]
    _, dense, _ = fitted
    meta, arrays = dense.to_state()
    with pytest.raises(ValueError, match="expected"):
        DenseView.from_state({**meta, "dim": 9}, arrays)


def test_too_small_a_corpus_is_refused() -> None:
    with pytest.raises(ValueError, match="need more than dim"):
        ppmi_svd(prepare_many(["味道不错"] * 10), dim=8)


def test_default_model_carries_word_vectors(default_model) -> None:  # type: ignore[no-untyped-def]
    """The shipped model reads them: its topic detector's side columns include them."""
    comps = default_model.components
    assert comps.dense is not None and comps.dense.dim == 200
    assert comps.topics.passthrough == comps.side_features


def test_dense_side_columns_decide_like_the_one_sparse_matrix(default_model) -> None:  # type: ignore[no-untyped-def]
    """The prediction path keeps word vectors and cue counts dense; fitting reads one CSR
    matrix. Both must give the same topic logits and polarity probabilities."""
    comps = default_model.components
    docs = prepare_many(["送得很快，但是味道太淡了，分量也少", "菜里吃出一只蟑螂", "咸淡刚好", ""])
    enc = comps.encode(docs)
    mixed, one = enc.features, enc.features.tocsr()
    assert mixed.shape == one.shape
    assert np.allclose(comps.topics.decision_base(mixed), comps.topics.decision_base(one), atol=1e-5)
    clauses, clauses_one = enc.clause_features, enc.clause_features.tocsr()
    assert np.allclose(comps.topics.predict_proba(mixed, clauses, enc.owner),
                       comps.topics.predict_proba(one, clauses_one, enc.owner), atol=1e-6)
    X = enc.X
    D = comps.dense.transform(X)
    F = WithDense(X, D)
    W = np.random.default_rng(0).normal(size=(3, F.shape[1])).astype(np.float32)
    assert np.allclose(decision(F, W, np.zeros(3)), decision(as_csr(F), W, np.zeros(3)), atol=1e-4)


def test_model_card_says_whether_the_heads_read_word_vectors() -> None:
    from koubei.model.card import word_vector_lines

    assert word_vector_lines(None) == []
    [line] = word_vector_lines({"words": 21920, "dim": 200})
    assert "21,920 words × 200" in line and "polarity head" in line
