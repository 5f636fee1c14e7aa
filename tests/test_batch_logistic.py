"""The batched per-topic logistic regressions the topic detector is fitted with: liblinear's
weights (same objective), every topic solved together."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

import koubei.classify.batch_logistic as bl
from koubei.classify.batch_logistic import fit_logistic_columns
from koubei.classify.topics import BATCHED, TopicDetector
from koubei.model.review_model import ReviewModel
from koubei.taxonomy import load_taxonomy
from koubei.text.docs import prepare_many
from koubei.train.default_recipe import gold_matrix
from koubei.train.labels import read_labels

SNACKS = Path(__file__).parent / "data" / "labelled_snacks.csv"


@pytest.fixture(scope="module")
def snacks(default_model: ReviewModel):  # type: ignore[no-untyped-def]
    """The committed snack labels as the topic detector reads them: text, word vectors, cues."""
    c = default_model.components
    records = read_labels(SNACKS, load_taxonomy())[0]
    enc = c.encode(prepare_many([r.text for r in records], default_model.segmenter))
    Y = gold_matrix(records, c.taxonomy)
    return enc.features.tocsr(), Y, c.side_features, enc


@pytest.mark.parametrize("class_weight", ["balanced", None])
def test_the_weights_are_liblinears(snacks, class_weight) -> None:  # type: ignore[no-untyped-def]
    X, Y, n_dense, _ = snacks
    fit = np.flatnonzero(Y.sum(axis=0) >= 3)  # taste, packaging, freshness ... of 96 snack reviews
    assert len(fit) >= 4
    W, b = fit_logistic_columns(X, Y[:, fit], C=64.0, class_weight=class_weight, n_dense=n_dense)
    for k, j in enumerate(fit):
        lr = LogisticRegression(C=64.0, class_weight=class_weight, solver="liblinear", max_iter=3000,
                                tol=1e-8).fit(X, Y[:, j])  # liblinear pushed far past its default tolerance
        z_ref = X @ lr.coef_[0] + lr.intercept_[0]
        z = X @ W[k] + b[k]
        assert np.abs(z - z_ref).max() < 0.02 * max(1.0, np.abs(z_ref).max()), j
        assert ((z > 0) == (z_ref > 0)).all()


def test_dense_columns_counted_apart_give_the_same_weights(snacks) -> None:  # type: ignore[no-untyped-def]
    X, Y, n_dense, _ = snacks
    fit = np.flatnonzero(Y.sum(axis=0) >= 3)
    W_split, b_split = fit_logistic_columns(X, Y[:, fit], C=8.0, class_weight="balanced", n_dense=n_dense)
    W_all, b_all = fit_logistic_columns(X, Y[:, fit], C=8.0, class_weight="balanced")
    assert np.allclose(X @ W_split.T + b_split, X @ W_all.T + b_all, atol=1e-6)


def test_a_topic_with_one_label_only_is_refused() -> None:
    X = np.eye(4)
    with pytest.raises(ValueError, match="needs both 0 and 1"):
        fit_logistic_columns(X, np.array([[1, 0], [0, 0], [1, 0], [0, 0]]), C=1.0)
    with pytest.raises(ValueError, match="class_weight must be 'balanced' or None"):
        fit_logistic_columns(X, np.array([[1], [0], [1], [0]]), C=1.0, class_weight="auto")


def test_a_solve_cut_short_warns(snacks, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    X, Y, n_dense, _ = snacks
    monkeypatch.setattr(bl, "MAX_NEWTON", 1)
    with pytest.warns(ConvergenceWarning, match="not converged in 1 Newton steps"):
        fit_logistic_columns(X, Y[:, [int(np.argmax(Y.sum(axis=0)))]], C=64.0, n_dense=n_dense)


def test_the_detector_fitted_batched_reads_like_the_liblinear_one(snacks) -> None:  # type: ignore[no-untyped-def]
    X, Y, n_dense, enc = snacks
    dets = [TopicDetector(C=64.0, min_df=2, solver=s, tune_folds=0, passthrough=n_dense, clause_stack=True)
            .fit(X, Y, enc.clause_features.tocsr(), enc.owner) for s in ("liblinear", BATCHED)]
    absent = np.flatnonzero(Y.sum(axis=0) == 0)
    assert len(absent) and not dets[1].coef_[absent].any() and (dets[1].intercept_[absent] == -10).all()
    P = [d.predict_proba(enc.features, enc.clause_features, enc.owner) for d in dets]
    assert np.abs(P[0] - P[1]).max() < 0.02
    assert ((P[0] >= 0.6) == (P[1] >= 0.6)).mean() > 0.995


def test_a_topic_solves_the_same_alone_or_beside_others(snacks) -> None:  # type: ignore[no-untyped-def]
    """Topics leave the conjugate-gradient arrays as they converge: no topic's solve reads another's."""
    X, Y, n_dense, _ = snacks
    fit = np.flatnonzero(Y.sum(axis=0) >= 3)
    W, b = fit_logistic_columns(X, Y[:, fit], C=64.0, class_weight="balanced", n_dense=n_dense)
    for k, j in enumerate(fit):
        w1, b1 = fit_logistic_columns(X, Y[:, [j]], C=64.0, class_weight="balanced", n_dense=n_dense)
        assert np.allclose(X @ w1[0] + b1[0], X @ W[k] + b[k], atol=1e-6)


def _newton_steps(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the Newton steps of the solves that follow."""
    steps: list[int] = []
    step = bl._newton_step

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        steps.append(1)
        return step(*args, **kwargs)

    monkeypatch.setattr(bl, "_newton_step", counted)
    return steps


def test_a_start_near_the_optimum_ends_there_in_fewer_steps(snacks, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A fold started from the fit on all rows: same weights as from zeros, fewer Newton steps."""
    X, Y, n_dense, _ = snacks
    fit = np.flatnonzero(Y.sum(axis=0) >= 3)
    rows = np.arange(len(Y)) % 4 != 0
    W_all, b_all = fit_logistic_columns(X, Y[:, fit], C=64.0, class_weight="balanced", n_dense=n_dense)
    steps = _newton_steps(monkeypatch)
    W_cold, b_cold = fit_logistic_columns(X[rows], Y[rows][:, fit], C=64.0, class_weight="balanced",
                                          n_dense=n_dense)
    cold = len(steps)
    W_warm, b_warm = fit_logistic_columns(X[rows], Y[rows][:, fit], C=64.0, class_weight="balanced",
                                          n_dense=n_dense, init=(W_all, b_all))
    warm = len(steps) - cold
    z_cold, z_warm = X @ W_cold.T + b_cold, X @ W_warm.T + b_warm
    assert np.abs(z_warm - z_cold).max() < 0.01 * max(1.0, np.abs(z_cold).max())
    assert warm < cold
    assert not np.allclose(W_all, W_cold, atol=1e-3)  # the start is not already the answer


def test_a_start_of_another_shape_is_refused(snacks) -> None:  # type: ignore[no-untyped-def]
    X, Y, n_dense, _ = snacks
    fit = np.flatnonzero(Y.sum(axis=0) >= 3)
    with pytest.raises(ValueError, match="init must be weights"):
        fit_logistic_columns(X, Y[:, fit], C=64.0, n_dense=n_dense,
                             init=(np.zeros((len(fit) + 1, X.shape[1])), np.zeros(len(fit) + 1)))


def test_a_fold_detector_started_from_the_full_one_reads_the_same(snacks, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The fold keeps other text columns (min_df on fewer reviews): the start is laid out on them."""
    X, Y, n_dense, enc = snacks
    params = dict(C=64.0, min_df=2, solver=BATCHED, tune_folds=0, passthrough=n_dense, clause_stack=True)
    full = TopicDetector(**params).fit(X, Y, enc.clause_features.tocsr(), enc.owner)
    keep = np.arange(len(Y)) % 4 != 0
    rows = np.flatnonzero(keep)
    clauses = np.flatnonzero(keep[enc.owner])
    owner = np.searchsorted(rows, enc.owner[clauses])
    Cx = enc.clause_features.tocsr()[clauses]
    steps = _newton_steps(monkeypatch)
    cold = TopicDetector(**params).fit(X[rows], Y[rows], Cx, owner)
    n_cold = len(steps)
    warm = TopicDetector(**params).fit(X[rows], Y[rows], Cx, owner, init=full)
    assert len(steps) - n_cold < n_cold
    assert not np.array_equal(cold.columns_, full.columns_)
    P = [d.predict_proba(enc.features, enc.clause_features, enc.owner) for d in (cold, warm)]
    assert np.abs(P[0] - P[1]).max() < 0.01
    with pytest.raises(ValueError, match="init was fitted on"):
        TopicDetector(**params).fit(X[:, 1:], Y, enc.clause_features.tocsr()[:, 1:], enc.owner, init=full)


def test_the_start_lays_each_kept_columns_weight_where_this_fit_keeps_it(snacks) -> None:  # type: ignore[no-untyped-def]
    X, Y, n_dense, enc = snacks
    params = dict(C=64.0, min_df=2, solver=BATCHED, tune_folds=0, passthrough=n_dense)
    full = TopicDetector(**params).fit(X, Y)
    fold = TopicDetector(**params)
    fold.columns_ = np.array([int(full.columns_[0]), int(full.columns_[5]), X.shape[1] - n_dense - 1])
    if fold.columns_[2] in full.columns_:  # the last text column: a column the full fit dropped
        fold.columns_[2] = np.setdiff1d(np.arange(X.shape[1] - n_dense), full.columns_)[-1]
    W, b = fold._start(full, X.shape[1], Y.shape[1])
    assert W.shape == (Y.shape[1], 3 + n_dense)
    assert np.array_equal(W[:, 0], full.coef_[:, 0]) and np.array_equal(W[:, 1], full.coef_[:, 5])
    assert not W[:, 2].any()  # kept here, not there: starts at zero
    assert np.array_equal(W[:, 3:], full.coef_[:, len(full.columns_):])  # the passthrough columns
    assert np.array_equal(b, full.intercept_) and b is not full.intercept_
    fold.passthrough = n_dense - 1
    with pytest.raises(ValueError, match=rf"\({n_dense} passed through\).*\({n_dense - 1}\)"):
        fold._start(full, X.shape[1], Y.shape[1])


def test_a_rule_topic_starts_from_zero_not_from_its_rule(snacks) -> None:  # type: ignore[no-untyped-def]
    from koubei.train.rules import CueRuleTopicDetector

    X, Y, n_dense, enc = snacks
    rule = int(np.argmin(Y.sum(axis=0)))
    make = CueRuleTopicDetector.factory([rule])
    params = dict(C=64.0, min_df=2, solver=BATCHED, tune_folds=0, passthrough=n_dense)
    full = make(**params).fit(X, Y)
    assert full.coef_[rule].any()  # the cue rule's weight
    fold = make(**params)
    fold.columns_ = full.columns_
    W, b = fold._start(full, X.shape[1], Y.shape[1])
    assert not W[rule].any() and b[rule] == 0.0
    assert full.coef_[rule].any() and full.intercept_[rule] != 0.0  # the full detector is left as it was
    other = (rule + 1) % Y.shape[1]
    assert np.array_equal(W[other], full.coef_[other])
