"""Directions of a negative taste mention, learnt from labelled taste details.

The rules (:class:`koubei.classify.taste.TasteDirector`) read a direction off a cue
lexicon, and a cue says less than it seems: merely sour fruit (太酸了) is bad in
general, not off flavour, and the 涩 of an apple is as often one as the other
(``labels/GUIDELINE.md``). Labels settle what a lexicon cannot, so this head reads
the rules' reading as features, beside the words:

- ``R:<direction>``: the directions the rules give the mention;
- ``T:<direction>`` / ``Tc:<cue>``: each phrase cue in the mention's own clauses, by
  direction and by name (``Tw:`` / ``Twc:`` for the short weak cues);
- ``O:`` / ``Oc:`` / ``Ow:`` / ``Owc:``: the same in the review's other clauses;

then the TF-IDF of the mention's clauses (the embedding's columns the labelled
mentions use). One L2 logistic regression per direction; a mention gets every
direction whose probability reaches ``threshold``, else the likeliest one, and the
taxonomy's fallback (``bad_general``) only when no other direction is said: the
guideline's rule, which the per-direction regressions alone do not keep.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from koubei.classify.linear import ArrayState, decision, sigmoid, used_columns


class _Director(Protocol):  # koubei.classify.taste.TasteDirector
    def directions(self, clauses: list[str], others: Sequence[str] = ()) -> tuple[list[str], str | None]: ...
    def find(self, text: str) -> list[tuple[str, str]]: ...
    def find_weak(self, text: str) -> list[tuple[str, str]]: ...


def direction_features(director: _Director, texts: list[str], others: Sequence[str],
                       rules: Sequence[str] | None = None) -> list[str]:
    """The rule features of a taste mention (see the module docstring): ``texts`` are its
    own clauses, ``others`` the review's other clauses; ``rules``: the directions the rules
    gave it, when the caller has them (prediction has: they are not read again)."""
    if rules is None:
        rules = director.directions(texts, others)[0]
    names = [f"R:{d}" for d in rules]
    for scope, clauses in (("T", texts), ("O", others)):
        for t in clauses:
            for d, cue in director.find(t):
                names += [f"{scope}:{d}", f"{scope}c:{cue}"]
            for d, cue in director.find_weak(t):
                names += [f"{scope}w:{d}", f"{scope}wc:{cue}"]
    return list(dict.fromkeys(names))


class TasteDirectionHead(ArrayState, BaseEstimator):
    """Taste directions of negative taste mentions (see the module docstring).

    Args:
        C: inverse L2 strength of each direction's logistic regression (chosen on the
            gold folds, CHANGELOG.md).
        threshold: a direction is said at this probability or above.
    """

    _array_attrs = ("coef_", "intercept_", "columns_")
    _json_attrs = ("directions_", "features_", "fallback_")

    def __init__(self, *, C: float = 10.0, threshold: float = 0.5) -> None:
        self.C = C
        self.threshold = threshold

    def fit(self, names: Sequence[Sequence[str]], X: sparse.spmatrix, y: Sequence[Sequence[str]],
            directions: Sequence[str], fallback: str | None = None) -> TasteDirectionHead:
        """Fit on mentions: their rule features ``names`` (:func:`direction_features`), the
        TF-IDF rows ``X`` of their clauses, their labelled directions ``y`` (each one or
        more of ``directions``). ``fallback``: the direction said only alone (the taxonomy's
        ``fallback_direction``).

        A direction no mention has is never said; one every mention has is always said.

        Raises:
            ValueError: the three disagree in length, a mention has no direction or one
                outside ``directions``.
        """
        X = sparse.csr_matrix(X)
        if not (len(names) == X.shape[0] == len(y)):
            raise ValueError(f"{len(names)} feature lists, {X.shape[0]} rows and {len(y)} label lists: "
                             "one of each per mention")
        known = set(directions)
        for i, dirs in enumerate(y):
            if not dirs:
                raise ValueError(f"mention {i} has no direction")
            if bad := sorted(set(dirs) - known):
                raise ValueError(f"mention {i}: direction {', '.join(bad)} is not one of "
                                 f"{', '.join(directions)}")
        if fallback is not None and fallback not in known:
            raise ValueError(f"fallback direction {fallback} is not one of {', '.join(directions)}")
        self.directions_ = tuple(directions)
        self.fallback_ = fallback
        self.features_ = tuple(sorted({n for row in names for n in row}))
        self.columns_ = used_columns(X).astype(np.int64)
        self.n_features_in_ = X.shape[1]
        F = self._matrix(names, X)
        Y = np.array([[d in dirs for d in directions] for dirs in y])
        self.coef_ = np.zeros((len(directions), F.shape[1]), dtype=np.float32)
        self.intercept_ = np.zeros(len(directions))
        for j in range(len(directions)):
            pos = int(Y[:, j].sum())
            if pos == 0 or pos == len(Y):
                self.intercept_[j] = 30.0 if pos else -30.0
                continue
            lr = LogisticRegression(C=self.C, max_iter=5000).fit(F, Y[:, j])
            self.coef_[j], self.intercept_[j] = lr.coef_[0], lr.intercept_[0]
        return self

    def _matrix(self, names: Sequence[Sequence[str]], X: sparse.spmatrix) -> sparse.csr_matrix:
        index = {n: k for k, n in enumerate(self.features_)}
        hits = [[index[n] for n in row if n in index] for row in names]
        indptr = np.cumsum([0] + [len(h) for h in hits])
        cols = np.fromiter((k for h in hits for k in h), dtype=np.int64, count=int(indptr[-1]))
        R = sparse.csr_matrix((np.ones(len(cols), dtype=np.float32), cols, indptr),
                              shape=(len(hits), len(index)))
        return sparse.hstack([R, sparse.csr_matrix(X)[:, self.columns_]], format="csr")

    def predict_proba(self, names: Sequence[Sequence[str]], X: sparse.spmatrix) -> np.ndarray:
        """Each mention's probability of each of ``directions_``."""
        check_is_fitted(self, "coef_")
        if X.shape[1] != self.n_features_in_ or X.shape[0] != len(names):
            raise ValueError(f"expected {len(names)} rows of {self.n_features_in_} columns (the embedding "
                             f"the head was fitted on), got {X.shape[0]} of {X.shape[1]}")
        if not len(names):
            return np.zeros((0, len(self.directions_)))
        return sigmoid(decision(self._matrix(names, X), self.coef_, self.intercept_))

    def predict(self, names: Sequence[Sequence[str]], X: sparse.spmatrix) -> list[list[str]]:
        """Each mention's directions: those at ``threshold`` or above, else the likeliest; the
        fallback only alone."""
        out = []
        for p in self.predict_proba(names, X):
            said = [d for d, q in zip(self.directions_, p) if q >= self.threshold]
            if len(said) > 1 and self.fallback_ in said:
                said.remove(self.fallback_)
            out.append(said or [self.directions_[int(p.argmax())]])
        return out
