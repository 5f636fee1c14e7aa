"""``koubei train --encoder DIR [--finetune]``: bundles whose heads read a transformer encoder.

The encoder is the tiny random BERT of ``tests/tiny_bert.py``: these tests check
the pipeline (train → save → load → score, fine-tuning, references, errors),
not accuracy; its figures mean nothing. They skip with a reason without
torch/transformers, except the missing-dependency errors, which need neither.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from koubei import load_model
from koubei.cli import app
from koubei.embed.finetune import FinetuneConfig
from koubei.embed.hybrid import HybridEmbedder
from koubei.errors import EncoderError, IncompatibleModelError
from koubei.resources import default_model_path
from koubei.taxonomy import load_taxonomy
from koubei.train import read_labels, train_bundle

DATA = Path(__file__).parent / "data" / "labelled_snacks.csv"
BASE = default_model_path()
INSTALL = 'pip install "koubei[transformers]"'
TEXTS = ["这瓜子太咸了，齁得慌", "薯片到手全碎了，包装也压扁了", "物流很快，第二天就到了", "很好，满意",
         "送得很快，但是味道太淡了"]
runner = CliRunner()


def invoke(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    for module in ("torch", "transformers"):
        pytest.importorskip(module, reason=f"{module} not installed: {INSTALL}")
    from tiny_bert import build_tiny_bert

    return build_tiny_bert(tmp_path_factory.mktemp("tiny_bert") / "tiny-bert")


@pytest.fixture(scope="module")
def encoder_copy(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tiny model that the bundle references (tests move and damage it)."""
    return Path(shutil.copytree(tiny_model, tmp_path_factory.mktemp("enc") / "tiny-bert"))


@pytest.fixture(scope="module")
def hybrid(encoder_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models") / "snacks-bert"
    res = invoke("train", DATA, "--base", BASE, "-o", out, "--folds", 3, "--encoder", encoder_copy,
                 "--max-length", 64, "-q")
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def tuned(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tax = load_taxonomy()
    records, report = read_labels(DATA, tax)
    out = tmp_path_factory.mktemp("models") / "snacks-tuned"
    cfg = FinetuneConfig(epochs=2, batch_size=16, lr=1e-3, head_lr=5e-2)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("koubei.train.encoder.PROGRESS_SECONDS", 0.0)  # every step speaks
        train_bundle(records, taxonomy=tax, output=out, base=BASE, folds=2, label_report=report,
                     encoder=tiny_model, finetune=True, max_length=32, finetune_config=cfg,
                     log=TUNED_LOG.append)
    return out


TUNED_LOG: list[str] = []  # what `tuned` logged while training


# -- frozen encoder, referenced ----------------------------------------------------------

def test_bundle_records_the_encoder_reference(hybrid: Path, encoder_copy: Path) -> None:
    emb = json.loads((hybrid / "embedder.json").read_text(encoding="utf-8"))
    assert emb["kind"] == "tfidf+transformer" and not emb["encoder"]["bundled"]
    assert emb["encoder"]["model_dir"] == str(encoder_copy)
    assert emb["encoder"]["params"] == {"batch_size": 32, "max_length": 64, "pooling": "mean"}
    assert len(emb["encoder"]["config_sha256"]) == 64 and len(emb["encoder"]["content_sha256"]) == 64
    manifest = json.loads((hybrid / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["embedder"]["encoder"]["path"] == str(encoder_copy)
    assert manifest["embedder"]["encoder"]["dim"] == 32
    enc = manifest["training"]["encoder"]
    assert enc["weights"] == "referenced, not copied" and enc["pooling"] == "mean" and enc["max_length"] == 64
    assert not (hybrid / "encoder").exists()
    card = (hybrid / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert str(encoder_copy) in card and "referenced" in card


def test_heads_read_the_dense_columns(hybrid: Path) -> None:
    comps = load_model(hybrid).components
    assert isinstance(comps.embedder, HybridEmbedder)
    n_tfidf, width = comps.embedder.n_tfidf, comps.embedder.n_features_out_
    assert width == n_tfidf + 32
    assert comps.polarity.coef_.shape[1] > width  # context columns + topic and sentiment features
    assert np.abs(comps.polarity.coef_[:, n_tfidf:width]).sum() > 0
    sel = comps.topics.columns_
    assert sel is not None and (sel >= n_tfidf).sum() == 32  # every dense column kept
    # the reused base sentiment reads the TF-IDF columns only: same scores as the base
    assert np.all(comps.sentiment.coef_[:, n_tfidf:] == 0)
    base = load_model(BASE).predict(TEXTS)
    assert [p.sentiment_score for p in load_model(hybrid).predict(TEXTS)] == [p.sentiment_score for p in base]


def test_committee_reads_the_encoder_columns_too(hybrid: Path) -> None:
    from koubei.io import canonicalize
    from koubei.text.docs import prepare_many
    from koubei.train.suggest import suggest

    model = load_model(hybrid)
    committee = model.committee()  # folds of a frozen encoder share the final embedder
    assert committee is not None and len(committee) == 3
    P = committee.topic_proba(model.components, prepare_many(TEXTS, model.segmenter))
    assert P.shape == (3, len(TEXTS), len(model.taxonomy.topics))
    res = suggest(canonicalize(pd.DataFrame({"text": TEXTS})), model, n=2)
    assert res.strategy == "committee" and len(res.frame) == 2


def test_score_round_trip_identical_after_reload(hybrid: Path, tmp_path: Path) -> None:
    first = load_model(hybrid).score(TEXTS)
    again = load_model(hybrid).score(TEXTS)
    pd.testing.assert_frame_equal(first, again)
    assert list(first.columns) == list(load_model(BASE).score(TEXTS).columns)  # same output columns
    pd.DataFrame({"评论内容": TEXTS}).to_csv(tmp_path / "in.csv", index=False)
    res = invoke("score", tmp_path / "in.csv", "--model", hybrid, "-o", tmp_path / "out.csv", "-q",
                 "--workers", 2)
    assert res.exit_code == 0, res.output
    out = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    assert out["topics"].tolist() == first["topics"].fillna("").tolist()
    assert out["sentiment_score"].tolist() == first["sentiment_score"].tolist()


def test_moved_or_replaced_encoder_is_a_clear_error(hybrid: Path, encoder_copy: Path, tiny_model: Path,
                                                    tmp_path: Path) -> None:
    before = load_model(hybrid).score(TEXTS)
    moved = tmp_path / "moved"
    shutil.copytree(encoder_copy, moved, copy_function=shutil.copy)  # new modification times
    shutil.rmtree(encoder_copy)
    try:
        with pytest.raises(EncoderError, match=rf"needs the transformer encoder at {encoder_copy}, which is "
                                               r"missing.*put the encoder directory .* back at"):
            load_model(hybrid)
        res = invoke("score", DATA, "--model", hybrid, "-o", tmp_path / "s.csv", "-q")
        assert res.exit_code == 5 and str(encoder_copy) in res.output and "Traceback" not in res.output
        # the same model elsewhere: found by its content hash
        after = load_model(hybrid, encoder_dir=moved).score(TEXTS)
        pd.testing.assert_frame_equal(before, after)
        (moved / "model.safetensors").unlink()
        with pytest.raises(EncoderError, match=r"missing or not a model directory \(.*missing weights"):
            load_model(hybrid, encoder_dir=moved)
        from tiny_bert import build_tiny_bert

        other = build_tiny_bert(tmp_path / "other", seed=3)
        with pytest.raises(IncompatibleModelError, match="is not the one it was trained with"):
            load_model(hybrid, encoder_dir=other)
    finally:
        if not encoder_copy.exists():  # the other tests' bundle references it
            shutil.copytree(tiny_model, encoder_copy)


def test_copy_encoder_makes_a_standalone_bundle(hybrid: Path, tiny_model: Path, tmp_path: Path) -> None:
    enc = Path(shutil.copytree(tiny_model, tmp_path / "enc"))
    out = tmp_path / "standalone"
    res = invoke("train", DATA, "--base", BASE, "-o", out, "--folds", 2, "--encoder", enc, "--copy-encoder",
                 "--pooling", "cls", "-q")
    assert res.exit_code == 0, res.output
    assert (out / "encoder" / "config.json").is_file()
    expected = load_model(out).predict(TEXTS)
    shutil.rmtree(enc)
    moved = Path(shutil.copytree(out, tmp_path / "elsewhere", copy_function=shutil.copy))
    shutil.rmtree(out)
    model = load_model(moved)
    assert model.components.embedder.encoder.pooling == "cls"
    assert model.predict(TEXTS) == expected


# -- fine-tuned encoder, inside the bundle -----------------------------------------------

def test_finetune_round_trip(tuned: Path, tiny_model: Path, tmp_path: Path) -> None:
    manifest = json.loads((tuned / "manifest.json").read_text(encoding="utf-8"))
    ft = manifest["training"]["encoder"]["finetune"]
    # the final model first (the folds' topic solvers start from it), then each fold on its own reviews
    assert [r["fit"] for r in ft["runs"]] == ["final", "fold1", "fold2"]
    assert ft["runs"][0]["reviews"] == 96 and ft["config"]["max_length"] == 32
    # each fold tuned its own encoder, which the bundle does not keep: no committee
    assert manifest["training"]["committee"].startswith("none: each fold fine-tuned its own encoder")
    assert "committee" not in manifest and not load_model(tuned).has_committee
    assert manifest["embedder"]["encoder"]["in_bundle"]
    files = {p.name for p in (tuned / "encoder").iterdir()}
    assert {"config.json", "model.safetensors"} <= files and files & {"tokenizer.json", "vocab.txt"}
    model = load_model(tuned)
    assert Path(model.components.embedder.encoder.model_dir) == tuned / "encoder"
    # fine-tuned weights, not the base encoder's
    from koubei.embed import TransformerEmbedder

    E_tuned = model.components.embedder.encoder.embed(TEXTS)
    assert not np.allclose(E_tuned, TransformerEmbedder(tiny_model, max_length=32).embed(TEXTS), atol=1e-3)
    first = model.score(TEXTS)
    moved = Path(shutil.copytree(tuned, tmp_path / "moved", copy_function=shutil.copy))
    pd.testing.assert_frame_equal(first, load_model(moved).score(TEXTS))


def test_training_logs_the_progress_of_fine_tuning_and_embedding(tuned: Path) -> None:
    tuning = [line for line in TUNED_LOG if line.startswith("fine-tuning (final)")]
    embedding = [line for line in TUNED_LOG if line.startswith("fine-tuned encoder (final) embedding")]
    assert tuning and embedding
    done, total = (int(x.replace(",", "")) for x in tuning[-1].split(": ")[1].split(" texts")[0].split(" / "))
    assert done == total > 0  # the last line of a pass says it is finished
    assert embedding[-1].endswith(" texts") and " / " in embedding[-1]


def test_encoder_progress_is_throttled_and_closes_a_pass_it_spoke_in() -> None:
    """On a clock of its own: patching ``time.monotonic`` reached every thread of the process,
    the Dask tests' event loop too, which then hit the end of this test's list of times."""
    from koubei.train import encoder

    clock = iter([0.0, 1.0, 2.0, 12.0, 13.0, 14.0, 15.0])
    lines: list[str] = []
    total = 3000
    p = encoder.EncoderProgress(lines.append, "encoder embedding", lambda: total,
                                clock=lambda: next(clock))  # created at t=0
    p(1000)  # t=1: too soon
    p(2000)  # t=2: too soon
    p(2500)  # t=12: 10 s since the last line
    p(3000)  # t=13: the end of a pass that spoke
    assert lines == ["encoder embedding: 2,500 / 3,000 texts", "encoder embedding: 3,000 / 3,000 texts"]
    total = 40
    p(40)  # t=14: a short pass that never spoke stays silent
    assert len(lines) == 2


def test_damaged_bundled_encoder(tuned: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(tuned, tmp_path / "copy"))
    weights = copy / "encoder" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-8] + b"\0" * 8)
    with pytest.raises(IncompatibleModelError, match="is not the one it was trained with"):
        load_model(copy)
    shutil.rmtree(copy / "encoder")
    with pytest.raises(EncoderError, match=r"bundle's encoder/ folder is damaged"):
        load_model(copy)


# -- errors without a model --------------------------------------------------------------

def test_without_torch_the_install_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = importlib.util.find_spec

    def no_torch(name: str, *a: object):  # type: ignore[no-untyped-def]
        return None if name in ("torch", "transformers") else real(name, *a)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", no_torch)
    res = invoke("train", DATA, "-o", tmp_path / "m", "--encoder", tmp_path)
    assert res.exit_code == EncoderError.exit_code == 5
    assert INSTALL in res.output and "torch==2.13.0" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "m").exists()


def test_bundle_without_torch_names_the_install_line(hybrid: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(EncoderError, match=rf"embeds reviews with a transformer encoder: .*{INSTALL[:12]}"):
        load_model(hybrid)


def test_bad_encoder_options(tmp_path: Path) -> None:
    res = invoke("train", DATA, "-o", tmp_path / "m", "--finetune")
    assert res.exit_code == 5 and "need --encoder DIR" in res.output
    if any(importlib.util.find_spec(m) is None for m in ("torch", "transformers")):
        # the README's install has no torch: the first thing said is how to get it
        res = invoke("train", DATA, "-o", tmp_path / "m", "--encoder", tmp_path / "nowhere")
        assert res.exit_code == 5 and INSTALL in res.output
        pytest.skip(f"the encoder directory checks need torch and transformers: {INSTALL}")
    res = invoke("train", DATA, "-o", tmp_path / "m", "--encoder", tmp_path / "nowhere")
    assert res.exit_code == 5 and "nowhere" in res.output and "hf download" in res.output
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "config.json").write_text("{}", encoding="utf-8")
    res = invoke("train", DATA, "-o", tmp_path / "m", "--encoder", tmp_path / "half")
    assert res.exit_code == 5 and "missing weights" in res.output


def test_base_with_an_encoder_and_another_encoder(hybrid: Path, tiny_model: Path, tmp_path: Path) -> None:
    res = invoke("train", DATA, "--base", hybrid, "-o", tmp_path / "m", "--encoder", tiny_model)
    assert res.exit_code == 5 and "already embeds with the encoder" in res.output
