"""``koubei aggregate --engine dask``: a Parquet dataset counted part by part equals one pass.

The per-partition counts are tested without Dask (counted in chunks, added,
finished = ``aggregate`` of the whole frame); the engine on a LocalCluster of
2 worker processes over a generated multi-part dataset.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from functools import reduce
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from koubei.aggregate import aggregate, aggregate_file, load_scored, parse_freq
from koubei.aggregate.combine import finish
from koubei.aggregate.partial import count_partition
from koubei.aggregate.table import prepare_scored
from koubei.cli import app
from koubei.errors import ColumnError, EngineError, InputError
from koubei.resources import corpora_path
from koubei.scoring import score_file
from koubei.taxonomy import load_taxonomy

DEMO = corpora_path("demo/snack_reviews.csv")
HAS_DASK = importlib.util.find_spec("distributed") is not None
needs_dask = pytest.mark.skipif(not HAS_DASK, reason='dask is not installed: pip install "koubei[dask]"')
TAX = load_taxonomy()
#: (by, freq, rating_scale) of the comparisons
CASES = [([], None, None), (["supplier", "product"], "W", None), (["channel"], "D", 10),
         (["supplier"], "M", None)]
runner = CliRunner()


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory, default_model: Any) -> Path:
    """The demo dump scored, with some times blanked and an unknown taste direction."""
    root = tmp_path_factory.mktemp("scored")
    score_file(DEMO, root / "s.parquet", model=default_model, chunksize=0, workers=1)
    frame = pd.read_parquet(root / "s.parquet")
    frame.loc[frame.index[1500:1510], "time"] = pd.NaT
    frame.loc[frame.index[2000], "taste_detail"] = "too_fishy"
    frame.to_parquet(root / "whole.parquet", index=False)
    return root / "whole.parquet"


@pytest.fixture(scope="module")
def dataset(scored: Path) -> Path:
    """The scored file cut into 5 parts of unequal size, as ``score --engine dask`` lays them out."""
    frame = pd.read_parquet(scored)
    folder = scored.parent / "parts"
    folder.mkdir()
    cuts = [0, 400, 1100, 1200, 2400, len(frame)]
    for i, (a, b) in enumerate(zip(cuts, cuts[1:], strict=False)):
        frame.iloc[a:b].to_parquet(folder / f"part-{i:05d}.parquet", index=False)
    (folder / "_SUCCESS").write_text(json.dumps({"rows": len(frame), "partitions": 5}))
    return folder


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Every column identical but ``mean_sentiment_score``, a float sum added in another
    order (partition sums, then their sum): equal up to the last bits."""
    mean = "mean_sentiment_score"
    pd.testing.assert_frame_equal(a.drop(columns=mean), b.drop(columns=mean), check_exact=True)
    pd.testing.assert_series_equal(a[mean], b[mean], check_exact=False, rtol=1e-14, atol=0)


@pytest.mark.parametrize(("by", "freq", "scale"), CASES)
def test_counts_of_chunks_added_and_finished_equal_one_pass(scored: Path, by: list[str],
                                                            freq: str | None, scale: int | None) -> None:
    whole = load_scored(scored)
    expected = aggregate(whole, by=by, freq=freq, rating_scale=scale)
    prepared = prepare_scored(whole, "x")
    f = parse_freq(freq) if freq else None
    parts = [count_partition(prepared.iloc[a:a + 700].reset_index(drop=True), by=by, freq=f,
                             taxonomy=TAX, first_row=a)
             for a in range(0, len(prepared), 700)]
    total = reduce(lambda x, y: x.add(y, TAX.direction_ids), parts)
    table, _ = finish(total, by=by, freq=f, rating_scale=scale)
    _same(expected, table)
    assert "taste_too_fishy" in table.columns and table["taste_too_fishy"].sum() == 1
    assert total.rows_read == len(whole)
    if freq:
        assert total.untimed == 10 and total.untimed_examples[0][0] == 1501


@needs_dask
@pytest.mark.parametrize(("by", "freq", "scale"), CASES)
def test_dataset_on_two_workers_equals_the_local_engine(cluster: Any, dataset: Path, tmp_path: Path,
                                                        by: list[str], freq: str | None,
                                                        scale: int | None) -> None:
    from koubei.aggregate.dataset import aggregate_dataset

    local = aggregate_file(dataset, tmp_path / "local.parquet", by=by, freq=freq, rating_scale=scale)
    res = aggregate_dataset(dataset, tmp_path / "dask.parquet", by=by, freq=freq, rating_scale=scale,
                            scheduler=cluster.scheduler_address)
    _same(local.table, res.table)
    assert res.report == local.report
    _same(pd.read_parquet(tmp_path / "local.parquet"), pd.read_parquet(tmp_path / "dask.parquet"))


@needs_dask
def test_cli_engine_dask(cluster: Any, dataset: Path, tmp_path: Path) -> None:
    args = ["--by", "supplier,product", "--freq", "W"]
    res = runner.invoke(app, ["aggregate", str(dataset), "-o", str(tmp_path / "a.csv"), *args])
    assert res.exit_code == 0, res.output
    res2 = runner.invoke(app, ["aggregate", str(dataset), "-o", str(tmp_path / "b.csv"), *args,
                               "--engine", "dask", "--scheduler", cluster.scheduler_address])
    assert res2.exit_code == 0, res2.output
    assert res2.output == res.output.replace("a.csv", "b.csv")  # same summary and warning
    a, b = pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv")
    _same(a, b)


@needs_dask
def test_cli_errors_are_one_line_with_an_exit_code(cluster: Any, dataset: Path, scored: Path,
                                                   tmp_path: Path) -> None:
    dask = ["--engine", "dask", "--scheduler", cluster.scheduler_address]
    res = runner.invoke(app, ["aggregate", str(scored), "-o", str(tmp_path / "o.csv"), *dask])
    assert res.exit_code == InputError.exit_code
    assert "reads a folder of Parquet parts" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["aggregate", str(dataset), "-o", str(tmp_path / "o.csv"), *dask,
                              "--by", "shop"])
    assert res.exit_code == ColumnError.exit_code and "no column 'shop' to group by" in res.output
    empty = tmp_path / "empty"
    empty.mkdir()
    res = runner.invoke(app, ["aggregate", str(empty), "-o", str(tmp_path / "o.csv"), *dask])
    assert res.exit_code == InputError.exit_code and "no .parquet files" in res.output
    res = runner.invoke(app, ["aggregate", str(dataset), "-o", str(tmp_path / "o.csv"),
                              "--scheduler", cluster.scheduler_address])
    assert res.exit_code == 2 and "needs --engine dask" in res.output
    assert not (tmp_path / "o.csv").exists()


@needs_dask
def test_an_unscored_dataset_is_a_column_error(cluster: Any, tmp_path: Path) -> None:
    from koubei.aggregate.dataset import aggregate_dataset

    folder = tmp_path / "raw"
    folder.mkdir()
    pd.DataFrame({"text": ["好吃"], "time": ["2026-01-01"]}).to_parquet(folder / "part-00000.parquet")
    with pytest.raises(ColumnError, match="not a scored file, it lacks review_id"):
        aggregate_dataset(folder, tmp_path / "o.csv", scheduler=cluster.scheduler_address)


def test_without_dask_the_engine_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch,
                                                        dataset: Path, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    res = runner.invoke(app, ["aggregate", str(dataset), "-o", str(tmp_path / "o.csv"), "--engine", "dask"])
    assert res.exit_code == EngineError.exit_code
    assert 'pip install "koubei[dask]"' in res.output
    assert not (tmp_path / "o.csv").exists()
