"""Multi-label topic detection: one logistic regression per topic, tuned thresholds.

Optionally stacked over clauses (multi-instance): a review talks about a topic
when one of its clauses does, so a second regression per topic reads, besides
the text, every topic's highest first-stage logit over the review's clauses. The second stage is trained on
out-of-fold first-stage logits, as it will see them on new reviews.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.utils.validation import check_is_fitted

from koubei.classify.batch_logistic import fit_logistic_columns
from koubei.classify.linear import ArrayState, WithDense, decision, scatter_columns, sigmoid

#: ``solver`` of :func:`~koubei.classify.batch_logistic.fit_logistic_columns`: every topic's
#: regression solved together (liblinear's objective)
BATCHED = "batched-newton"
THRESHOLD_GRID = np.round(np.arange(0.15, 0.86, 0.05), 2)


def best_f1_threshold(y: np.ndarray, p: np.ndarray, grid: np.ndarray = THRESHOLD_GRID) -> float:
    """Threshold on ``p`` that maximizes F1 of ``y`` (ties → the middle of the best run)."""
    scores = []
    for t in grid:
        pred = p >= t
        tp = float(np.sum(pred & (y == 1)))
        denom = float(pred.sum() + y.sum())
        scores.append(2 * tp / denom if denom else 0.0)
    scores_a = np.asarray(scores)
    best = np.flatnonzero(scores_a >= scores_a.max() - 1e-9)
    return float(grid[best[len(best) // 2]])


class TopicDetector(ArrayState, ClassifierMixin, BaseEstimator):
    """Which topics a review talks about (multi-label).

    With ``min_df`` the detector keeps only the text columns seen in at least
    ``min_df`` training reviews and L2-normalizes each row over them, so the
    TF-IDF weights reflect the labelled reviews rather than a large pooled
    vocabulary (most of whose n-grams never occur in them).

    Args:
        C: inverse L2 strength of each per-topic logistic regression.
        class_weight: passed to each regression (``"balanced"`` for rare topics).
        tune_folds: folds of the inner cross-validation that picks each topic's
            decision threshold; 0 keeps 0.5 everywhere.
        seed: seed of the inner folds.
        min_df: column selection as above; 0 uses every column as it is.
        passthrough: the last ``passthrough`` columns (side features such as cue
            counts) are kept as they are, never selected or normalized.
        solver: the regressions' solver: one of sklearn's (``liblinear`` is fast on sparse
            text), or ``"batched-newton"`` (:data:`BATCHED`), liblinear's objective with every
            topic solved together, several times faster with dense side columns.
        clause_stack: fit the second, clause-aware stage (see the module docstring);
            ``fit`` then needs the clause features.
        stack_folds: folds that give the out-of-fold first-stage logits.
    """

    _array_attrs = ('coef_', 'intercept_', 'thresholds_')
    _optional_arrays = ('columns_', 'stack_coef_', 'stack_intercept_')
    _json_attrs = ()
    columns_: np.ndarray | None
    stack_coef_: np.ndarray | None
    stack_intercept_: np.ndarray | None

    def __init__(self, *, C: float = 8.0, class_weight: str | None = "balanced",
                 tune_folds: int = 4, seed: int = 0, min_df: int = 0, passthrough: int = 0,
                 solver: str = "lbfgs", clause_stack: bool = False, stack_folds: int = 4) -> None:
        self.C = C
        self.class_weight = class_weight
        self.tune_folds = tune_folds
        self.seed = seed
        self.min_df = min_df
        self.passthrough = passthrough
        self.solver = solver
        self.clause_stack = clause_stack
        self.stack_folds = stack_folds

    def _fit_heads(self, X: sparse.spmatrix, Y: np.ndarray, n_dense: int = 0,
                   init: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """One regression per topic; ``n_dense``: dense columns at the end of ``X`` (batched solver).

        ``init``: weights (topics x columns) and intercepts the batched solver starts from (a
        fit on most of the same rows); sklearn's solvers start from zeros.
        """
        if self.solver == BATCHED:
            return self._fit_heads_batched(X, Y, n_dense, init)
        coefs, bs = [], []
        for j in range(Y.shape[1]):
            if Y[:, j].min() == Y[:, j].max():  # topic absent (or everywhere) in this data
                coefs.append(np.zeros(X.shape[1]))
                bs.append(-10.0 if Y[0, j] == 0 else 10.0)
                continue
            lr = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=3000,
                                    solver=self.solver)
            lr.fit(X, Y[:, j])
            coefs.append(lr.coef_[0])
            bs.append(float(lr.intercept_[0]))
        return np.asarray(coefs, dtype=np.float32), np.asarray(bs)

    def _fit_heads_batched(self, X: sparse.spmatrix, Y: np.ndarray, n_dense: int,
                           init: tuple[np.ndarray, np.ndarray] | None = None
                           ) -> tuple[np.ndarray, np.ndarray]:
        """:func:`fit_logistic_columns` on the topics with both labels in ``Y``; the others as above."""
        W = np.zeros((Y.shape[1], X.shape[1]), dtype=np.float32)
        b = np.where(Y[0] == 0, -10.0, 10.0) if len(Y) else np.full(Y.shape[1], -10.0)
        fit = np.flatnonzero(Y.min(axis=0) != Y.max(axis=0)) if len(Y) else np.array([], dtype=int)
        if len(fit):
            start = None if init is None else (init[0][fit], init[1][fit])
            W[fit], b[fit] = fit_logistic_columns(X, Y[:, fit], C=self.C, class_weight=self.class_weight,
                                                  n_dense=n_dense, init=start)
        return W, b

    def _select(self, X: sparse.spmatrix | WithDense) -> sparse.csr_matrix | WithDense:
        """The detector's own view of ``X``: selected, renormalized text columns + passthrough.

        ``X`` may be a :class:`WithDense` whose dense part is the passthrough.
        """
        if isinstance(X, WithDense):
            if X.dense.shape[1] != self.passthrough:
                raise ValueError(f"{X.dense.shape[1]} dense columns, the detector passes {self.passthrough}")
            return WithDense(self._text_view(sparse.csr_matrix(X.sparse)), X.dense)
        X = sparse.csr_matrix(X)
        if getattr(self, "columns_", None) is None:
            return X
        n_text = X.shape[1] - self.passthrough
        return sparse.hstack([self._text_view(X), X[:, n_text:]], format="csr", dtype=np.float32)

    def _text_view(self, X: sparse.csr_matrix) -> sparse.csr_matrix:
        """The selected text columns of ``X``, each row L2-normalized over them."""
        if getattr(self, "columns_", None) is None:
            return X
        T = X[:, self.columns_]
        norms = np.sqrt(np.asarray(T.multiply(T).sum(axis=1)).ravel())
        return sparse.diags(1.0 / np.where(norms > 0, norms, 1.0)).dot(T).astype(np.float32)

    def fit(self, X: sparse.spmatrix, Y: np.ndarray, clause_X: sparse.spmatrix | None = None,
            clause_owner: np.ndarray | None = None, init: TopicDetector | None = None) -> TopicDetector:
        """Fit on features ``X`` and a 0/1 matrix ``Y`` (reviews × topics).

        ``clause_X`` (features of every clause, same columns as ``X``) and
        ``clause_owner`` (the row of ``X`` each clause belongs to) are needed
        with ``clause_stack``. ``init``: a detector fitted on the same columns and
        topics (e.g. on all the labels, when this fit is a cross-validation fold) whose
        weights the batched solver starts from. Each regression is strictly convex, so the
        start changes how many steps the fit takes, not where it ends.
        """
        Y = np.asarray(Y, dtype=int)
        self.columns_ = self.stack_coef_ = self.stack_intercept_ = None
        if self.min_df:
            text = sparse.csc_matrix(X)[:, :X.shape[1] - self.passthrough]
            df = np.diff((text != 0).astype(np.int8).tocsc().indptr)
            self.columns_ = np.flatnonzero(df >= self.min_df).astype(np.int64)
        Xs = self._select(X)
        self.coef_, self.intercept_ = self._fit_heads(Xs, Y, self.passthrough,
                                                      self._start(init, X.shape[1], Y.shape[1]))
        if self.clause_stack:
            if clause_X is None or clause_owner is None:
                raise ValueError("clause_stack needs clause_X and clause_owner")
            F = self._stack_features(Xs, self._oof_logits(Xs, Y, self._select(clause_X),
                                                          np.asarray(clause_owner)))
            # from the first stage's weights, nothing on the clause logits yet (fewer steps
            # than from zeros, and than from ``init``'s second stage, whose clause logits
            # came from other inner folds)
            none_yet = np.zeros((Y.shape[1], Y.shape[1]), dtype=self.coef_.dtype)
            self.stack_coef_, self.stack_intercept_ = self._fit_heads(
                F, Y, self.passthrough + Y.shape[1], (np.hstack([self.coef_, none_yet]), self.intercept_))
        self.thresholds_ = np.full(Y.shape[1], 0.5)
        if self.tune_folds and len(Y) >= 5 * self.tune_folds:
            oof = self.oof_proba(Xs, Y)
            self.thresholds_ = np.array([best_f1_threshold(Y[:, j], oof[:, j])
                                         for j in range(Y.shape[1])])
        self.n_features_in_ = X.shape[1]
        return self

    def _start(self, init: TopicDetector | None, n_features: int, n_topics: int
               ) -> tuple[np.ndarray, np.ndarray] | None:
        """``init``'s first-stage weights laid out on this fit's selected columns.

        A text column this fit keeps and ``init`` did not starts at zero.
        """
        if init is None:
            return None
        check_is_fitted(init, "coef_")
        if (init.n_features_in_ != n_features or init.coef_.shape[0] != n_topics
                or init.passthrough != self.passthrough):
            raise ValueError(f"init was fitted on {init.n_features_in_} features ({init.passthrough} passed "
                             f"through) and {init.coef_.shape[0]} topics, this fit has {n_features} "
                             f"({self.passthrough}) and {n_topics}")
        n_text = n_features - self.passthrough
        kept = getattr(init, "columns_", None)
        theirs: np.ndarray = np.arange(n_text) if kept is None else kept
        text = scatter_columns(init.coef_[:, :len(theirs)], theirs, n_text)  # over every text column
        if self.columns_ is not None:
            text = text[:, self.columns_]
        W = np.hstack([text, init.coef_[:, len(theirs):]]).astype(np.float64)
        return W, np.array(init.intercept_, dtype=np.float64)  # a copy: the caller may change it

    def _oof_logits(self, Xs: sparse.csr_matrix, Y: np.ndarray, Cs: sparse.csr_matrix,
                    owner: np.ndarray) -> np.ndarray:
        """Out-of-fold first-stage logits of each review's best clause, per topic."""
        M = np.zeros(Y.shape)
        folds = KFold(self.stack_folds, shuffle=True, random_state=self.seed).split(Y)
        for tr, te in folds:  # each fold starts from the fit on all rows: fewer Newton steps
            W, b = self._fit_heads(Xs[tr], Y[tr], self.passthrough, (self.coef_, self.intercept_))
            rows = np.flatnonzero(np.isin(owner, te))
            M[te] = max_by_owner(decision(Cs[rows], W, b), owner[rows], len(Y))[te]
        return M

    @staticmethod
    def _stack_features(Xs: sparse.csr_matrix | WithDense, M: np.ndarray) -> sparse.csr_matrix | WithDense:
        dense = np.clip(M, -10, 10) / 4
        if isinstance(Xs, WithDense):
            return WithDense(Xs.sparse, np.hstack([Xs.dense, dense]).astype(np.float32))
        return sparse.hstack([Xs, sparse.csr_matrix(dense)], format="csr", dtype=np.float32)

    def oof_proba(self, X: sparse.spmatrix, Y: np.ndarray) -> np.ndarray:
        """Out-of-fold first-stage probabilities from the inner folds (for threshold tuning).

        ``X`` is already in the detector's own view (see ``_select``).
        """
        oof = np.zeros(Y.shape)
        for tr, te in KFold(self.tune_folds, shuffle=True, random_state=self.seed).split(Y):
            W, b = self._fit_heads(X[tr], Y[tr], self.passthrough)
            oof[te] = sigmoid(decision(X[te], W, b))
        return oof

    def decision_base(self, X: sparse.spmatrix) -> np.ndarray:
        """First-stage logits (reviews or clauses × topics)."""
        check_is_fitted(self, "coef_")
        return decision(self._select(X), self.coef_, self.intercept_)

    def topic_pass(self, X: sparse.spmatrix | WithDense, clause_X: sparse.spmatrix | WithDense | None = None,
                   clause_owner: np.ndarray | None = None) -> TopicPass:
        """Topic probabilities of reviews ``X`` read with their clauses, the inputs ``fit`` takes.

        ``clause_X``: features of every clause (same columns as ``X``);
        ``clause_owner``: the row of ``X`` each clause belongs to. Without them
        each review is its own single clause.
        """
        check_is_fitted(self, "coef_")
        Xs = self._select(X)
        Z = decision(Xs, self.coef_, self.intercept_)
        if clause_X is None or clause_owner is None:
            Zc = M = Z
        else:
            Zc = self.decision_base(clause_X)
            M = max_by_owner(Zc, np.asarray(clause_owner), Z.shape[0])
        W, b = getattr(self, "stack_coef_", None), getattr(self, "stack_intercept_", None)
        if W is None or b is None:
            return TopicPass(sigmoid(Z), Zc, M)
        return TopicPass(sigmoid(decision(self._stack_features(Xs, M), W, b)), Zc, M)

    def predict_proba(self, X: sparse.spmatrix | WithDense,
                      clause_X: sparse.spmatrix | WithDense | None = None,
                      clause_owner: np.ndarray | None = None) -> np.ndarray:
        """Probability of each topic (reviews × topics); arguments as :meth:`topic_pass`."""
        return self.topic_pass(X, clause_X, clause_owner).proba

    def predict(self, X: sparse.spmatrix | WithDense, clause_X: sparse.spmatrix | WithDense | None = None,
                clause_owner: np.ndarray | None = None) -> np.ndarray:
        return (self.predict_proba(X, clause_X, clause_owner) >= self.thresholds_).astype(int)


@dataclass(frozen=True)
class TopicPass:
    """What :meth:`TopicDetector.topic_pass` reads off a batch.

    Attributes:
        proba: reviews × topics, the (stacked) probability the thresholds apply to.
        clause_logit: clauses × topics, first-stage logits of each clause on its own.
        clause_max: reviews × topics, each review's highest ``clause_logit`` (what the
            second stage reads).
    """

    proba: np.ndarray
    clause_logit: np.ndarray
    clause_max: np.ndarray

    @cached_property
    def clause_proba(self) -> np.ndarray:
        """First-stage probabilities: how much each clause on its own speaks of each topic
        (worked out once: several rules of a batch read them)."""
        return sigmoid(self.clause_logit)


def max_by_owner(Z: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Row-wise maximum of ``Z`` per owner (``n`` owners; -30 where an owner has no row)."""
    out = np.full((n, Z.shape[1]), -30.0)
    np.maximum.at(out, owner, Z)
    return out
