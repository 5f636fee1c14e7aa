"""Overall sentiment: a binary pos/neg regression plus a neutral band.

The public corpora are binary (pos/neg); neutral reviews (no opinion, or
both sides of equal weight) are told by a band of uncertainty around 0.5,
whose edges are tuned on the gold labels that carry ``neu``.

With ``domains`` the model is a mixture of domain experts: one regression on
the whole pool, one per domain (food delivery, shopping, hotel), and a naive
Bayes domain classifier that says how much each expert applies to a text:
``P = (1 - a) * P_pool + a * sum_d P(d | x) * P_d``. One pooled model
dilutes each domain's own cues (慢 is bad for delivery, 小 for a room...); the
mixture keeps them while still serving texts from no known domain.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.naive_bayes import MultinomialNB
from sklearn.utils.validation import check_is_fitted

from koubei.classify.linear import (
    ArrayState,
    coefs_in_order,
    decision,
    scatter_columns,
    sigmoid,
    softmax,
    used_columns,
)

LABELS = ("neg", "neu", "pos")
#: offsets tried on the gold head's ``neu`` logit (see :meth:`SentimentClassifier.fit_gold`)
NEU_OFFSETS = np.round(np.arange(0.0, 3.01, 0.125), 3)


def _multinomial(F: sparse.spmatrix, labels: np.ndarray, C: float,
                 init: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Weights (LABELS order) of a multinomial regression of ``labels`` on ``F``.

    Solved over the columns ``F`` uses (:func:`~koubei.classify.linear.scatter_columns`): the
    gold head reads the base's whole vocabulary (240k columns), of which a few thousand labelled
    reviews use a tenth, and L-BFGS spent most of its time updating the others' zero weights.
    ``init``: weights and intercepts (LABELS order, all columns) to start L-BFGS from, e.g. the
    fit on all rows when ``F`` is a fold of them; used when ``labels`` hold all three classes.
    The objective is strictly convex: the start changes the steps, not the optimum.
    """
    F = sparse.csr_matrix(F)
    used = used_columns(F)
    lr = LogisticRegression(C=C, max_iter=3000)
    if init is not None and set(np.unique(labels)) == set(LABELS):
        lr.set_params(warm_start=True)  # sklearn starts from coef_ and intercept_ (classes sorted = LABELS)
        lr.coef_ = np.asarray(init[0], dtype=np.float64)[:, used]
        lr.intercept_ = np.asarray(init[1], dtype=np.float64)
    lr.fit(F[:, used], labels)
    W, b = coefs_in_order(LABELS, lr.classes_, lr.coef_, lr.intercept_)
    return scatter_columns(W, used, F.shape[1]), b


class SentimentClassifier(ArrayState, ClassifierMixin, BaseEstimator):
    """pos / neg / neu with ``P(pos)``.

    Args:
        C: inverse L2 strength of the logistic regression (4 suits the ~77k-text
            pooled corpus better than 1 or 2 on all three corpora's held-out folds).
        neutral_band: (lo, hi): ``P(pos)`` in [lo, hi) is ``neu``.
    """

    _array_attrs = ('coef_', 'intercept_')
    _optional_arrays = ('expert_coef_', 'expert_intercept_', 'domain_coef_', 'domain_intercept_',
                        'gold_coef_', 'gold_intercept_')
    _json_attrs = ('band_', 'gold_neu_offset_', 'gold_side_')
    expert_coef_: np.ndarray | None = None
    expert_intercept_: np.ndarray | None = None
    domain_coef_: np.ndarray | None = None
    domain_intercept_: np.ndarray | None = None
    gold_coef_: np.ndarray | None = None
    gold_intercept_: np.ndarray | None = None
    gold_neu_offset_: float = 0.0
    #: dense columns the gold head reads before the text: the two logits, then ``side``'s
    gold_side_: int = 2

    def __init__(self, *, C: float = 4.0, neutral_band: tuple[float, float] = (0.45, 0.55),
                 domains: tuple[str, ...] = (), expert_weight: float = 0.6) -> None:
        self.C = C
        self.neutral_band = neutral_band
        self.domains = domains
        self.expert_weight = expert_weight

    def _lr(self, X: sparse.spmatrix, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lr = LogisticRegression(C=self.C, max_iter=3000).fit(X, np.asarray(y, dtype=int))
        return lr.coef_.astype(np.float32), lr.intercept_.astype(np.float64)

    def fit(self, X: sparse.spmatrix, y: np.ndarray, member: np.ndarray | None = None
            ) -> SentimentClassifier:
        """Fit on binary labels (1 = pos, 0 = neg).

        Args:
            member: with ``domains``, a bool matrix rows × domains: which
                domain corpora each training text comes from (a text may be in
                several, e.g. a hotel review in two corpora).
        """
        y = np.asarray(y, dtype=int)
        self.coef_, self.intercept_ = self._lr(X, y)
        self.expert_coef_ = self.expert_intercept_ = None
        self.domain_coef_ = self.domain_intercept_ = None
        if self.domains:
            if member is None or member.shape != (X.shape[0], len(self.domains)):
                raise ValueError("a domain mixture needs member: rows x domains")
            self._fit_mixture(X, y, np.asarray(member, dtype=bool))
        self.band_ = tuple(self.neutral_band)
        self.n_features_in_ = X.shape[1]
        return self

    def _fit_mixture(self, X: sparse.spmatrix, y: np.ndarray, member: np.ndarray) -> None:
        experts = [self._lr(X[member[:, d]], y[member[:, d]]) for d in range(member.shape[1])]
        self.expert_coef_ = np.vstack([c for c, _ in experts])
        self.expert_intercept_ = np.concatenate([b for _, b in experts])
        # One domain per text for the router: the first listed domain it belongs to.
        known = member.any(axis=1)
        nb = MultinomialNB(alpha=0.1).fit(X[known], member[known].argmax(axis=1))
        self.domain_coef_ = nb.feature_log_prob_.astype(np.float32)
        self.domain_intercept_ = nb.class_log_prior_.astype(np.float64)

    def domain_weights(self, X: sparse.spmatrix) -> np.ndarray:
        """P(domain | text), rows × domains (mixture models only)."""
        assert self.domain_coef_ is not None and self.domain_intercept_ is not None
        return softmax(decision(X, self.domain_coef_, self.domain_intercept_))

    def pooled_decision(self, X: sparse.spmatrix) -> np.ndarray:
        """Logit of the pooled regression alone (the clause-level polarity head reads it:
        it scores fragments of reviews, where the domain router has little to go on)."""
        check_is_fitted(self, "coef_")
        return decision(X, self.coef_, self.intercept_)[:, 0]

    def decision_function(self, X: sparse.spmatrix, pooled: np.ndarray | None = None) -> np.ndarray:
        """Logit of P(pos) per row (of the blend, for a mixture).

        ``pooled``: :meth:`pooled_decision` of ``X`` when the caller has it already.
        """
        z = self.pooled_decision(X) if pooled is None else pooled
        if self.expert_coef_ is None or self.expert_intercept_ is None:
            return z
        p_experts = sigmoid(decision(X, self.expert_coef_, self.expert_intercept_))
        p_mix = (self.domain_weights(X) * p_experts).sum(axis=1)
        a = self.expert_weight
        p = np.clip((1 - a) * sigmoid(z) + a * p_mix, 1e-9, 1 - 1e-9)
        return np.log(p / (1 - p))

    def proba_pos(self, X: sparse.spmatrix) -> np.ndarray:
        """P(pos) per row."""
        return sigmoid(self.decision_function(X))

    def _gold_features(self, X: sparse.spmatrix, pooled: np.ndarray, z: np.ndarray,
                       side: np.ndarray | None) -> sparse.csr_matrix:
        """The logits and the ``side`` columns first, then the text (so a model widened to
        hybrid rows pads at the end). ``side`` missing where the head reads some: zeros."""
        cols = [np.clip(np.column_stack([pooled, z]), -8, 8) / 4]
        n_side = self.gold_side_ - 2
        if n_side:
            cols.append(np.zeros((X.shape[0], n_side)) if side is None else np.asarray(side, dtype=float))
        return sparse.hstack([sparse.csr_matrix(np.hstack(cols)), X], format="csr", dtype=np.float32)

    def fit_gold(self, X: sparse.spmatrix, labels: np.ndarray, pooled: np.ndarray, z: np.ndarray,
                 C: float = 4.0, neu_share: float | None = None, seed: int = 0,
                 side: np.ndarray | None = None) -> SentimentClassifier:
        """Learn the 3-class gold head: neg/neu/pos from the text and the binary logits.

        The corpora are binary, so alone the model tells ``neu`` only by a band of
        uncertainty; hand-labelled reviews say what neutral and mildly positive
        reviews look like (还行, 一般, X还可以就是Y). ``pooled`` and ``z`` are
        :meth:`pooled_decision` and :meth:`decision_function` of ``X`` by a model
        that did not learn from these reviews, as they will be on new ones.
        Once fitted, :meth:`label_rows` reads this head instead of the band.

        A regression fitted for accuracy all but never says ``neu`` (the rarest
        class): the head's ``neu`` logit gets an offset, chosen on 3-fold
        out-of-fold scores, under which the share of reviews said ``neu`` matches
        ``neu_share`` (default: the share among ``labels``; pass the share of a
        random sample when the labels are not one). ``side``: further dense
        columns per row (the polarity lexicon's evidence counts), which
        :meth:`label_rows` must then be given too.
        """
        labels = np.asarray(labels)
        self.gold_side_ = 2 + (0 if side is None else np.asarray(side).shape[1])
        F = self._gold_features(X, pooled, z, side)
        self.gold_coef_, self.gold_intercept_ = _multinomial(F, labels, C)
        share = float(np.mean(labels == "neu")) if neu_share is None else neu_share
        oof = np.zeros((len(labels), len(LABELS)))
        start = (self.gold_coef_, self.gold_intercept_)
        for tr, te in KFold(3, shuffle=True, random_state=seed).split(labels):
            oof[te] = decision(F[te], *_multinomial(F[tr], labels[tr], C, start))
        said = [np.mean((oof + [0.0, b, 0.0]).argmax(axis=1) == 1) for b in NEU_OFFSETS]
        self.gold_neu_offset_ = float(NEU_OFFSETS[int(np.argmin(np.abs(np.asarray(said) - share)))])
        return self

    def label_rows(self, X: sparse.spmatrix, pooled: np.ndarray, z: np.ndarray,
                   side: np.ndarray | None = None) -> np.ndarray:
        """Labels of rows of ``X`` (``pooled``/``z``: their logits; ``side``: as given to
        :meth:`fit_gold`): the gold head when the model has one, else the neutral band."""
        if self.gold_coef_ is None or self.gold_intercept_ is None:
            return self.label(sigmoid(z))
        scores = decision(self._gold_features(X, pooled, z, side), self.gold_coef_, self.gold_intercept_)
        scores[:, LABELS.index("neu")] += self.gold_neu_offset_
        return np.asarray(LABELS)[scores.argmax(axis=1)]

    def label(self, p_pos: np.ndarray) -> np.ndarray:
        """Labels from ``P(pos)`` with the neutral band."""
        lo, hi = self.band_
        return np.where(p_pos >= hi, "pos", np.where(p_pos < lo, "neg", "neu"))

    def predict(self, X: sparse.spmatrix) -> np.ndarray:
        pooled = self.pooled_decision(X)
        return self.label_rows(X, pooled, self.decision_function(X, pooled=pooled))

    def tune_band(self, p_pos: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
        """Pick the neutral band on labelled ``neu``/``pos``/``neg`` data.

        The objective is accuracy + macro-F1: accuracy alone is best served by
        never saying ``neu`` (it is the rarest class), which leaves users no
        neutral reviews at all.
        """
        from koubei.metrics import sentiment_metrics

        best, best_score = (0.5, 0.5), -1.0
        for lo in np.arange(0.30, 0.51, 0.05):
            for hi in np.arange(0.50, 0.81, 0.05):
                pred = np.where(p_pos >= hi, "pos", np.where(p_pos < lo, "neg", "neu"))
                m = sentiment_metrics(labels, pred)
                score = m["accuracy"] + m["macro_f1"]
                if score > best_score + 1e-9:
                    best, best_score = (round(float(lo), 3), round(float(hi), 3)), score
        self.band_ = best
        return best
