"""Shared fixtures: the bundled default model, and the shared corpora when present."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from koubei.errors import DataNotFoundError


@pytest.fixture(scope="session")
def default_model():  # type: ignore[no-untyped-def]
    from koubei import load_model

    return load_model()


@pytest.fixture(scope="session")
def corpora_dir() -> Path:
    """The shared corpora, or skip: a fresh user machine does not have them."""
    from koubei.datasets import find_corpora

    try:
        return find_corpora(os.environ.get("KOUBEI_CORPORA"))
    except DataNotFoundError as e:
        pytest.skip(f"shared corpora absent: {e}")


@pytest.fixture(scope="session")
def cluster() -> Iterator[Any]:
    """A Dask LocalCluster of 2 worker processes, shared by the Dask tests (skip without dask)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as c:
        yield c
