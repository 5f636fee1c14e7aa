"""The Dask engine: partitions scored on a LocalCluster of 2 worker processes equal in-process scoring."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from koubei.aggregate.scored import load_scored
from koubei.cli import app
from koubei.errors import EngineError, OutputError
from koubei.resources import corpora_path
from koubei.scoring import score_file

DEMO = corpora_path("demo/snack_reviews.csv")
HAS_DASK = importlib.util.find_spec("distributed") is not None
needs_dask = pytest.mark.skipif(not HAS_DASK, reason='dask is not installed: pip install "koubei[dask]"')


def test_without_dask_the_engine_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    from koubei.engines.cluster import require_distributed

    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    with pytest.raises(EngineError, match=r'pip install "koubei\[dask\]"'):
        require_distributed()
    res = CliRunner().invoke(app, ["score", str(DEMO), "-o", str(tmp_path / "o"), "--engine", "dask"])
    assert res.exit_code == EngineError.exit_code
    assert 'pip install "koubei[dask]"' in res.output
    assert not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo dump as a folder of 3 Parquet files, and the same rows as one file."""
    raw = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    raw = pd.concat([raw, raw.head(300)], ignore_index=True)  # repeats across files
    root = tmp_path_factory.mktemp("dataset")
    folder = root / "parts"
    folder.mkdir()
    for i, start in enumerate(range(0, len(raw), 1000)):
        raw.iloc[start:start + 1000].to_parquet(folder / f"dump-{i}.parquet", index=False)
    (folder / "_README").write_text("not data")
    raw.to_parquet(root / "whole.parquet", index=False)
    return folder, root / "whole.parquet"


@pytest.fixture(scope="module")
def reference(dataset: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory,
              default_model: Any) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("ref") / "ref.parquet"
    res = score_file(dataset[1], out, model=default_model, chunksize=0, workers=1)
    return out, res.summary


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("review_id", ignore_index=True)


@needs_dask
def test_partitions_scored_on_two_workers_equal_single_process(
        cluster: Any, dataset: tuple[Path, Path], reference: tuple[Path, Any], tmp_path: Path) -> None:
    from koubei.engines import score_dataset

    out = tmp_path / "scored"
    res = score_dataset(dataset[0], out, scheduler=cluster.scheduler_address, chunksize=400)
    parts = sorted(p.name for p in out.glob("part-*.parquet"))
    assert res.partitions == len(parts) >= 7 and parts[0] == "part-00000.parquet"
    marker = json.loads((out / "_SUCCESS").read_text())
    assert marker["rows"] == res.summary.rows == reference[1].rows
    assert marker["partitions"] == res.partitions
    ref = pd.read_parquet(reference[0])
    pd.testing.assert_frame_equal(_sorted(ref), _sorted(pd.read_parquet(out)))
    assert res.summary == reference[1]
    assert [p.name for p in tmp_path.iterdir()] == ["scored"]  # no temp folder left


@needs_dask
def test_a_csv_cut_into_partitions(cluster: Any, tmp_path: Path, default_model: Any) -> None:
    from koubei.engines import score_dataset

    ref = score_file(DEMO, tmp_path / "ref.parquet", model=default_model, chunksize=0, workers=1)
    res = score_dataset(DEMO, tmp_path / "scored", scheduler=cluster.scheduler_address, partitions=3)
    assert res.partitions == 3
    pd.testing.assert_frame_equal(_sorted(pd.read_parquet(tmp_path / "ref.parquet")),
                                  _sorted(pd.read_parquet(tmp_path / "scored")))
    assert res.read_report.mapping == ref.read_report.mapping
    with pytest.raises(OutputError, match="exists; pass --overwrite"):
        score_dataset(DEMO, tmp_path / "scored", scheduler=cluster.scheduler_address)


@needs_dask
def test_cli_engine_dask_then_aggregate_and_emerging_read_the_folder(
        cluster: Any, dataset: tuple[Path, Path], reference: tuple[Path, Any], tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "scored"
    res = runner.invoke(app, ["score", str(dataset[0]), "-o", str(out), "-q", "--engine", "dask",
                              "--scheduler", cluster.scheduler_address, "--chunksize", "1000"])
    assert res.exit_code == 0, res.output
    assert f"rows: {reference[1].rows:,}" in res.output
    pd.testing.assert_frame_equal(_sorted(load_scored(reference[0])), _sorted(load_scored(out)))
    for src, name in ((out, "a"), (reference[0], "b")):
        res = runner.invoke(app, ["aggregate", str(src), "-o", str(tmp_path / f"{name}.csv"),
                                  "--by", "supplier", "-q"])
        assert res.exit_code == 0, res.output
        res = runner.invoke(app, ["emerging", str(src), "--by", "supplier",
                                  "-o", str(tmp_path / f"{name}_issues.csv")])
        assert res.exit_code == 0, res.output
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a_issues.csv").read_bytes() == (tmp_path / "b_issues.csv").read_bytes()


@needs_dask
def test_overwrite_replaces_the_folder_atomically(cluster: Any, tmp_path: Path) -> None:
    from koubei.engines import score_dataset

    out = tmp_path / "scored"
    out.mkdir()
    (out / "old.txt").write_text("old")
    (tmp_path / ".scored.0123abcd.tmp").mkdir()  # what a killed run leaves
    score_dataset(DEMO, out, scheduler=cluster.scheduler_address, overwrite=True)
    assert not (out / "old.txt").exists() and (out / "_SUCCESS").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["scored"]


def test_load_scored_on_a_folder_without_parts_is_an_input_error(tmp_path: Path) -> None:
    from koubei.errors import InputError

    with pytest.raises(InputError, match="no .parquet files"):
        load_scored(tmp_path)
