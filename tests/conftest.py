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


SNACK_LABELS = Path(__file__).parent / "data" / "labelled_snacks.csv"


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle ``koubei train`` wrote from the committed snack labels on the default base (3 folds,
    fitted side by side by two worker processes)."""
    from typer.testing import CliRunner

    from koubei.cli import app
    from koubei.resources import default_model_path

    out = tmp_path_factory.mktemp("models") / "snacks-v2"
    res = CliRunner().invoke(app, ["train", str(SNACK_LABELS), "--base", str(default_model_path()), "-o",
                                   str(out), "--folds", "3", "--workers", "2", "-q"])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="session")
def corpora_dir() -> Path:
    """The shared corpora, or skip: a fresh user machine does not have them."""
    from koubei.corpora import find_corpora

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
