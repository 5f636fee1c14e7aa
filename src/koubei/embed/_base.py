"""The one-method interface every embedding backend implements."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
from scipy import sparse


@runtime_checkable
class BaseEmbedder(Protocol):
    """Turns prepared documents into a feature matrix (one row per document).

    ``docs`` is a sequence of :class:`koubei.text.docs.Doc`-like objects
    with ``norm`` (normalized text) and ``words`` (segmented, negation-marked).
    """

    def embed(self, docs: Any) -> np.ndarray | sparse.csr_matrix: ...
