"""Linear heads stored as plain arrays (no pickle in a model bundle)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse


@dataclass(frozen=True)
class WithDense:
    """Rows of a sparse matrix with dense columns after them, kept apart.

    Word vectors and cue counts are dense: stored inside a sparse matrix they
    are a (rows × 200) block of explicit entries that every hstack, slice and
    product copies again. :func:`decision` reads the two parts separately;
    :meth:`tocsr` gives the one matrix that fitting needs (same columns, same order).
    """

    sparse: sparse.csr_matrix
    dense: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return (self.sparse.shape[0], self.sparse.shape[1] + self.dense.shape[1])

    def tocsr(self) -> sparse.csr_matrix:
        """One CSR matrix, in the dtype the parts upcast to (as a plain ``sparse.hstack``)."""
        return sparse.hstack([self.sparse, sparse.csr_matrix(self.dense)], format="csr")


def as_csr(X: sparse.spmatrix | WithDense) -> sparse.csr_matrix:
    """``X`` as one CSR matrix."""
    return X.tocsr() if isinstance(X, WithDense) else sparse.csr_matrix(X)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def logit(p: np.ndarray) -> np.ndarray:
    """The inverse of :func:`sigmoid`, ``p`` clipped to [1e-12, 1 - 1e-12] first."""
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def decision(X: sparse.spmatrix | np.ndarray | WithDense, coef: np.ndarray, intercept: np.ndarray
             ) -> np.ndarray:
    """``X @ coef.T + intercept`` as a dense float64 array."""
    if isinstance(X, WithDense):
        n = X.sparse.shape[1]
        z = np.asarray(X.sparse @ coef[:, :n].T) + X.dense @ coef[:, n:].T
        return z.astype(np.float64) + intercept
    z = X @ coef.T
    z = z.toarray() if sparse.issparse(z) else np.asarray(z)
    return z.astype(np.float64) + intercept


def coefs_in_order(classes: Sequence[str], fitted_classes: Sequence[str], coef: np.ndarray,
                   intercept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A fitted logistic regression's weights as one row per class of ``classes``.

    With two fitted classes (one logit, the second against the first) the first
    gets zero weights and intercept; a class the regression never saw gets an
    intercept of -30, so it is never said.
    """
    W = np.zeros((len(classes), coef.shape[1]), dtype=np.float32)
    b = np.full(len(classes), -30.0)
    fitted = list(fitted_classes)
    if len(fitted) == 2:
        W[classes.index(fitted[1])] = coef[0]
        b[classes.index(fitted[1])] = intercept[0]
        b[classes.index(fitted[0])] = 0.0
    else:
        for j, c in enumerate(fitted):
            W[classes.index(c)] = coef[j]
            b[classes.index(c)] = intercept[j]
    return W, b


def used_columns(X: sparse.spmatrix) -> np.ndarray:
    """The columns of ``X`` with at least one stored entry, sorted."""
    return np.unique(sparse.csr_matrix(X).indices)


def scatter_columns(W: np.ndarray, used: np.ndarray, n: int) -> np.ndarray:
    """Weights ``W`` over the columns ``used`` as weights over all ``n`` columns (zero elsewhere).

    With L2 regularization a column that is zero in every training row gets zero
    weight, so a regression fitted on :func:`used_columns` and scattered back is
    the same model; its solver then iterates over far fewer weights.
    """
    out = np.zeros((W.shape[0], n), dtype=W.dtype)
    out[:, used] = W
    return out


def pad_columns(X: sparse.csr_matrix, n: int) -> sparse.csr_matrix:
    """Right-pad a sparse matrix with empty columns up to ``n`` columns."""
    if X.shape[1] == n:
        return X
    return sparse.csr_matrix((X.data, X.indices, X.indptr), shape=(X.shape[0], n))


class ArrayState:
    """Save/restore an estimator as (params + small JSON values, named arrays).

    Subclasses list their fitted attributes: ``_array_attrs`` (numpy arrays),
    ``_optional_arrays`` (arrays that may be ``None``: left out of the state
    then, and ``None`` when a state lacks them, as states saved before they
    existed do) and ``_json_attrs`` (JSON-able values such as tuples of floats).
    ``n_features_in_`` is saved too when it differs from the width of the
    first array.
    """

    _array_attrs: tuple[str, ...] = ()
    _optional_arrays: tuple[str, ...] = ()
    _json_attrs: tuple[str, ...] = ()

    def to_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        fitted = {a: _jsonable(getattr(self, a)) for a in self._json_attrs}
        arrays = {a: np.asarray(getattr(self, a)) for a in self._array_attrs}
        for a in self._optional_arrays:
            if getattr(self, a, None) is not None:
                arrays[a] = np.asarray(getattr(self, a))
        n_in = getattr(self, "n_features_in_", None)
        if n_in is not None and n_in != arrays[self._array_attrs[0]].shape[-1]:
            fitted["n_features_in_"] = int(n_in)
        meta = {"params": self.get_params(), "fitted": fitted}  # type: ignore[attr-defined]
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict, arrays: dict[str, np.ndarray]):  # type: ignore[no-untyped-def]
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in meta["params"].items()}
        self = cls(**params)
        for a in cls._array_attrs:
            setattr(self, a, np.asarray(arrays[a]))
        for a in cls._optional_arrays:
            setattr(self, a, np.asarray(arrays[a]) if a in arrays else None)
        fitted = dict(meta.get("fitted", {}))
        first = np.asarray(arrays[cls._array_attrs[0]])
        self.n_features_in_ = int(fitted.pop("n_features_in_", first.shape[-1]))  # type: ignore[attr-defined]
        for a, v in fitted.items():
            setattr(self, a, tuple(v) if isinstance(v, list) else v)
        return self


def _jsonable(v):  # type: ignore[no-untyped-def]
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, tuple):
        return [float(x) if isinstance(x, np.floating) else x for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v
