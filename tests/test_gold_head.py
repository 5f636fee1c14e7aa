"""The sentiment's 3-class gold head, and the polarity lexicon inside model bundles."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from koubei import load_model
from koubei.classify.sentiment import SentimentClassifier
from koubei.corpora import GoldRecord
from koubei.errors import IncompatibleModelError
from koubei.resources import default_model_path
from koubei.text.docs import prepare_many
from koubei.train.default_recipe import GOLD_HEAD_MIN, fit_embedder, fit_gold_sentiment, fit_sentiment

POS = ["味道很好，下次还来", "送得很快，好吃", "非常满意，包装精美", "好吃不贵，推荐", "服务热情，菜也新鲜",
       "很香很脆，回购", "物流快，东西好", "性价比高，好评", "老板人好，分量足", "口感不错，喜欢"]
NEG = ["太难吃了，再也不买", "送了两个小时，菜都凉了", "包装破了，洒了一袋", "太咸了，没法吃",
       "服务员态度很差", "分量太少，不值", "有头发，恶心", "客服不理人，差评", "发霉了，退货", "又贵又难吃"]
NEU = ["味道一般吧", "还没吃，先评价", "一般般，凑合", "中规中矩", "收到了，还没用",
       "普普通通", "就那样吧", "看着还行，没尝", "马马虎虎", "东西收到了"]


def _records(n: int = 3) -> list[GoldRecord]:
    rows = [(t, s) for texts, s in ((POS, "pos"), (NEG, "neg"), (NEU, "neu")) for t in texts]
    return [GoldRecord(f"r{i}-{k}", "test", "random", t + "！" * k, s, {}, ())
            for k in range(n) for i, (t, s) in enumerate(rows)]


@pytest.fixture(scope="module")
def fitted() -> tuple[SentimentClassifier, object, list, list[GoldRecord]]:
    recs = _records()
    docs = prepare_many([r.text for r in recs])
    emb = fit_embedder(docs, min_df=1)
    polar = [i for i, r in enumerate(recs) if r.sentiment != "neu"]
    base = fit_sentiment(emb, [docs[i] for i in polar], np.array([recs[i].sentiment == "pos" for i in polar]))
    return base, emb, docs, recs


def test_the_head_says_all_three_labels_and_replaces_the_band(fitted) -> None:  # type: ignore[no-untyped-def]
    base, emb, docs, recs = fitted
    head = fit_gold_sentiment(base, base, emb, docs, recs)
    assert base.gold_coef_ is None and head.gold_coef_ is not None  # a copy: the base keeps its band
    X = emb.transform(docs)
    said = head.predict(X)
    assert set(said) == {"pos", "neg", "neu"}
    assert np.mean(said == np.array([r.sentiment for r in recs])) >= 0.9
    assert set(base.predict(X)) <= {"pos", "neg", "neu"}


def test_the_head_round_trips_through_its_state(fitted) -> None:  # type: ignore[no-untyped-def]
    base, emb, docs, recs = fitted
    head = fit_gold_sentiment(base, base, emb, docs, recs)
    meta, arrays = head.to_state()
    again = SentimentClassifier.from_state(json.loads(json.dumps(meta)), arrays)
    X = emb.transform(docs)
    assert again.gold_neu_offset_ == head.gold_neu_offset_
    assert (again.predict(X) == head.predict(X)).all()


@pytest.fixture(scope="module")
def logits(fitted):  # type: ignore[no-untyped-def]
    """Rows, their binary logits and labels: what ``fit_gold`` takes."""
    base, emb, docs, recs = fitted
    X = emb.transform(docs)
    pooled = base.pooled_decision(X)
    return X, pooled, base.decision_function(X, pooled=pooled), np.array([r.sentiment for r in recs])


def test_the_neu_offset_matches_the_neutral_share(logits) -> None:  # type: ignore[no-untyped-def]
    X, pooled, z, labels = logits
    rare = SentimentClassifier().fit_gold(X, labels, pooled, z, neu_share=0.0)
    many = SentimentClassifier().fit_gold(X, labels, pooled, z, neu_share=0.6)
    assert rare.gold_neu_offset_ == 0.0 and many.gold_neu_offset_ > 0  # chosen on out-of-fold scores


def test_side_columns_are_read_and_missing_ones_are_zeros(logits) -> None:  # type: ignore[no-untyped-def]
    X, pooled, z, labels = logits
    side = np.tile([[1.0, 0.0]], (len(labels), 1))
    head = SentimentClassifier().fit_gold(X, labels, pooled, z, side=side)
    assert head.gold_side_ == 4 and head.gold_coef_.shape[1] == X.shape[1] + 4
    zeros = head.label_rows(X, pooled, z, np.zeros_like(side))
    assert (head.label_rows(X, pooled, z) == zeros).all()


def test_too_few_labels_of_a_class_keep_the_band(fitted) -> None:  # type: ignore[no-untyped-def]
    base, emb, docs, recs = fitted
    neutral = [r for r in recs if r.sentiment == "neu"]
    few = [r for r in recs if r.sentiment != "neu"] + neutral[:GOLD_HEAD_MIN - 1]
    kept = fit_gold_sentiment(base, base, emb, prepare_many([r.text for r in few]), few)
    assert kept.gold_coef_ is None


def test_default_model_has_the_head_and_the_lexicon() -> None:
    m = load_model()
    assert m.components.sentiment.gold_coef_ is not None
    assert m.components.lexicon is not None
    manifest = json.loads((default_model_path() / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["lexicon"]["sha256"] == m.components.lexicon.sha256()
    assert "lexicon.json" in manifest["files"]


@pytest.fixture
def bundle_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(default_model_path(), tmp_path / "m"))


def test_an_edited_lexicon_is_caught_by_its_hash(bundle_copy: Path) -> None:
    with open(bundle_copy / "lexicon.json", "a", encoding="utf-8") as f:
        f.write(" ")
    with pytest.raises(IncompatibleModelError, match="lexicon.json does not match its hash"):
        load_model(bundle_copy)


def _drop_lexicon(folder: Path, *, unlist: bool, delete: bool) -> None:
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if unlist:
        del m["files"]["lexicon.json"]
    if delete:
        del m["lexicon"]
        (folder / "lexicon.json").unlink()
    (folder / "manifest.json").write_text(json.dumps(m), encoding="utf-8")


def test_a_lexicon_not_among_the_hashed_files_is_refused(bundle_copy: Path) -> None:
    _drop_lexicon(bundle_copy, unlist=True, delete=False)
    with pytest.raises(IncompatibleModelError, match="does not list lexicon.json among its hashed files"):
        load_model(bundle_copy)


def test_a_head_that_reads_the_lexicon_needs_it(bundle_copy: Path) -> None:
    _drop_lexicon(bundle_copy, unlist=True, delete=True)
    with pytest.raises(IncompatibleModelError, match="reads the polarity lexicon, which the bundle lacks"):
        load_model(bundle_copy)


def test_a_bundle_from_before_the_lexicon_still_loads(bundle_copy: Path) -> None:
    """Format 1.1 bundles have neither a lexicon nor a gold head: they read with the band."""
    import numpy as np_

    _drop_lexicon(bundle_copy, unlist=True, delete=True)
    with np_.load(bundle_copy / "arrays.npz") as z:
        arrays = {k: z[k] for k in z.files if not k.startswith("sentiment.gold_")}
    np_.savez_compressed(bundle_copy / "arrays.npz", **arrays)
    heads = json.loads((bundle_copy / "heads.json").read_text(encoding="utf-8"))
    for key in ("gold_neu_offset_", "gold_side_"):
        heads["sentiment"]["fitted"].pop(key, None)
    (bundle_copy / "heads.json").write_text(json.dumps(heads), encoding="utf-8")
    m = json.loads((bundle_copy / "manifest.json").read_text(encoding="utf-8"))
    for name in ("arrays.npz", "heads.json"):  # rewritten above: hashed anew, as an old bundle had them
        m["files"][name] = hashlib.sha256((bundle_copy / name).read_bytes()).hexdigest()
    m.pop("sentiment_head", None)
    m["format_version"] = "1.1"
    (bundle_copy / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    old = load_model(bundle_copy)
    assert old.components.lexicon is None and old.components.sentiment.gold_coef_ is None
    [p] = old.predict(["味道太咸了"])
    assert p.topics == {"taste": "neg"} and p.sentiment in ("neg", "neu", "pos")


def test_the_head_is_solved_over_the_columns_its_rows_use(fitted) -> None:  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression

    from koubei.classify.linear import coefs_in_order, pad_columns
    from koubei.classify.sentiment import LABELS, _multinomial

    base, emb, docs, recs = fitted
    X = pad_columns(emb.transform(docs), emb.n_features_out_ + 500)  # 500 columns no row uses
    labels = np.array([r.sentiment for r in recs])
    W, b = _multinomial(X, labels, 4.0)
    assert W.shape == (3, X.shape[1]) and not W[:, -500:].any()
    full = LogisticRegression(C=4.0, max_iter=3000).fit(X, labels)  # over every column, as before
    W_full, b_full = coefs_in_order(LABELS, full.classes_, full.coef_, full.intercept_)
    Z, Z_full = X @ W.T + b, X @ W_full.T + b_full
    assert np.abs(Z - Z_full).max() < 1e-3  # the same optimum, up to the solver's tolerance
    assert (Z.argmax(axis=1) == Z_full.argmax(axis=1)).all()


def test_a_fold_of_the_head_started_from_the_full_fit_ends_where_it_would(fitted, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """fit_gold's out-of-fold heads start from the head on all rows: same weights, fewer L-BFGS steps."""
    from sklearn.linear_model import LogisticRegression

    import koubei.classify.sentiment as S

    base, emb, docs, recs = fitted
    X = emb.transform(docs)
    labels = np.array([r.sentiment for r in recs])
    W, b = S._multinomial(X, labels, 4.0)
    fold = np.arange(len(recs)) % 3 != 0
    iters: list[int] = []

    class Counted(LogisticRegression):
        def fit(self, *a, **k):  # type: ignore[no-untyped-def]
            out = super().fit(*a, **k)
            iters.append(int(self.n_iter_.max()))
            return out

    monkeypatch.setattr(S, "LogisticRegression", Counted)
    cold = S._multinomial(X[fold], labels[fold], 4.0)
    warm = S._multinomial(X[fold], labels[fold], 4.0, (W, b))
    polar = fold & (labels != "neu")
    two_classes = S._multinomial(X[polar], labels[polar], 4.0, (W, b))
    z_cold, z_warm = X @ cold[0].T + cold[1], X @ warm[0].T + warm[1]
    assert np.abs(z_cold - z_warm).max() < 0.02 * max(1.0, np.abs(z_cold).max())
    assert iters[1] < iters[0]
    assert two_classes[1][S.LABELS.index("neu")] == -30.0  # a start of three classes is not forced on two


def test_fit_gold_starts_its_out_of_fold_heads_from_the_head_on_all_rows(fitted, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import koubei.classify.sentiment as S

    base, emb, docs, recs = fitted
    starts: list[object] = []
    multinomial = S._multinomial

    def recorded(F, labels, C, init=None):  # type: ignore[no-untyped-def]
        starts.append(init)
        return multinomial(F, labels, C, init)

    monkeypatch.setattr(S, "_multinomial", recorded)
    head = fit_gold_sentiment(base, base, emb, docs, recs)
    assert starts[0] is None and len(starts) == 4  # the head on all rows, then 3 folds from it
    for start in starts[1:]:
        W, b = start  # type: ignore[misc]
        assert W is head.gold_coef_ and b is head.gold_intercept_
