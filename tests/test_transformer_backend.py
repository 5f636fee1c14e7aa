"""The transformer encoder backend, its classifier head, fine-tuning and the resolver.

Tests that run a model use a tiny random BERT built here (``tests/tiny_bert.py``):
they check the pipeline (shapes, batching, caching, save/load), not accuracy.
They skip with a reason when torch or transformers are not installed; the
directory checks, the missing-dependency error, the head and the resolver need
neither and always run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from koubei.embed import EmbeddingHead, TfidfEmbedder, TransformerEmbedder, select_embedder
from koubei.embed import transformer as transformer_mod
from koubei.embed.finetune import FinetuneConfig, finetune
from koubei.errors import EncoderError, IncompatibleModelError, ModelNotFoundError, OutputError
from koubei.text.docs import Doc

REVIEWS = [
    "味道太淡了，包装也破了。",
    "送得很快，但是味道太淡了。",
    "太咸了，齁得要命，再也不买了。",
    "外卖送到的时候汤都洒了，包装太简陋。",
    "配送员态度很好，准时送达，点赞！",
    "油太多了，吃完嘴里全是油，腻。",
    "快递盒子压扁了，里面的饼干碎成渣。",
    "甜度适中，口感细腻，奶香味很浓。",
    "辣得刚好，香脆可口，孩子很喜欢吃。",
    "肉不新鲜，有股酸味，怀疑是隔夜的。",
]
# (口味, 配送/包装) per review above, for the fine-tuning run
TOPICS = np.array([[1, 1], [1, 1], [1, 0], [0, 1], [0, 1], [1, 0], [0, 1], [1, 0], [1, 0], [1, 0]])
SENTIMENT = ["neg", "neg", "neg", "neg", "pos", "neg", "neg", "pos", "pos", "neg"]
INSTALL = 'pip install "koubei[transformers]"'


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    for module in ("torch", "transformers"):
        pytest.importorskip(module, reason=f"{module} not installed: {INSTALL}")
    from tiny_bert import build_tiny_bert

    return build_tiny_bert(tmp_path_factory.mktemp("tiny_bert"))


def fake_model_dir(folder: Path, *, skip: str = "") -> Path:
    """A directory with the files a model needs (empty stand-ins), less ``skip``."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"config.json": json.dumps({"hidden_size": 8}), "model.safetensors": "", "vocab.txt": "[PAD]\n"}
    for name, text in files.items():
        if name != skip:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


# -- no torch needed -------------------------------------------------------------------

def test_importing_koubei_does_not_import_torch() -> None:
    code = ("import sys, koubei, koubei.embed, koubei.embed.finetune, koubei.embed.resolve; "
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match=r"not found: .*nowhere.*hf download BAAI/bge-small-zh"):
        TransformerEmbedder(tmp_path / "nowhere")
    (tmp_path / "file.bin").write_bytes(b"x")
    with pytest.raises(ModelNotFoundError, match="is not a directory"):
        TransformerEmbedder(tmp_path / "file.bin")


@pytest.mark.parametrize(("skip", "named"), [("config.json", "config.json"),
                                             ("model.safetensors", r"weights \(model.safetensors"),
                                             ("vocab.txt", r"tokenizer \(tokenizer.json or vocab.txt")])
def test_incomplete_directory_lists_what_is_missing(tmp_path: Path, skip: str, named: str) -> None:
    folder = fake_model_dir(tmp_path / "m", skip=skip)
    with pytest.raises(EncoderError, match=f"missing {named}.*hf download BAAI/bge-small-zh"):
        TransformerEmbedder(folder)


def test_empty_directory_lists_all_three(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="missing config.json, weights .*, tokenizer "):
        TransformerEmbedder(tmp_path)


def test_bad_config_and_parameters(tmp_path: Path) -> None:
    folder = fake_model_dir(tmp_path / "m")
    (folder / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(EncoderError, match="config.json is not valid JSON"):
        TransformerEmbedder(folder)
    with pytest.raises(EncoderError, match="unknown pooling 'max'"):
        TransformerEmbedder(fake_model_dir(tmp_path / "n"), pooling="max")


def test_missing_dependency_gives_install_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_torch() -> None:
        raise ImportError("No module named 'torch'")

    monkeypatch.setattr(transformer_mod, "_import_modules", no_torch)
    emb = TransformerEmbedder(fake_model_dir(tmp_path / "m"))  # checking the directory needs no torch
    assert emb.dim == 8
    with pytest.raises(EncoderError, match=r'pip install "koubei\[transformers\]".*torch==2\.13\.0'):
        emb.embed(["味道太淡了"])
    with pytest.raises(EncoderError, match=r'pip install "koubei\[transformers\]"'):
        finetune(tmp_path / "m", REVIEWS, TOPICS, tmp_path / "out")


def test_select_embedder(tmp_path: Path) -> None:
    assert isinstance(select_embedder("tfidf", min_df=1), TfidfEmbedder)
    assert isinstance(select_embedder(None), TfidfEmbedder)
    emb = select_embedder(fake_model_dir(tmp_path / "m"), batch_size=4)
    assert isinstance(emb, TransformerEmbedder) and emb.batch_size == 4
    own = TfidfEmbedder()
    assert select_embedder(own) is own
    with pytest.raises(ModelNotFoundError, match="does not download models"):
        select_embedder("BAAI/bge-small-zh-v1.5")
    with pytest.raises(ModelNotFoundError, match="not found"):
        select_embedder(str(tmp_path / "missing"))
    with pytest.raises(EncoderError, match="cannot use a int as an encoder"):
        select_embedder(3)
    with pytest.raises(EncoderError, match="apply to a named backend"):
        select_embedder(own, min_df=1)


# -- the head on crafted embeddings ------------------------------------------------------

def separable_embeddings(n: int = 40, dim: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Rows near axis 0 talk about topic A, rows near axis 1 about topic B (unit norm)."""
    rng = np.random.default_rng(seed)
    Y = np.zeros((n, 2), dtype=int)
    Y[np.arange(n) % 2 == 0, 0] = 1
    Y[np.arange(n) % 2 == 1, 1] = 1
    X = rng.normal(0, 0.1, (n, dim)) + 2.0 * Y @ np.eye(2, dim)
    return X / np.linalg.norm(X, axis=1, keepdims=True), Y


def test_head_fits_predicts_and_round_trips(tmp_path: Path) -> None:
    X, Y = separable_embeddings()
    sentiment = np.where(Y[:, 0] == 1, "neg", "pos")
    head = EmbeddingHead(labels=("口味", "配送")).fit(X, Y, sentiment)
    assert np.array_equal(head.predict(X), Y)
    assert head.thresholds_.shape == (2,) and np.all((head.thresholds_ > 0) & (head.thresholds_ < 1))
    assert head.predict_labels(X[:2]) == [("口味",), ("配送",)]
    assert list(head.predict_sentiment(X[:2])) == ["neg", "pos"]
    loaded = EmbeddingHead.load(head.save(tmp_path / "head"))
    assert np.array_equal(loaded.predict(X), head.predict(X))
    assert np.array_equal(loaded.predict_proba(X), head.predict_proba(X))
    assert np.array_equal(loaded.thresholds_, head.thresholds_)
    assert loaded.labels_ == ("口味", "配送") and loaded.get_params() == head.get_params()
    assert np.array_equal(loaded.predict_sentiment_proba(X), head.predict_sentiment_proba(X))


def test_head_without_sentiment_and_constant_label() -> None:
    X, Y = separable_embeddings()
    Y = np.column_stack([Y, np.zeros(len(Y), dtype=int)])  # a topic nobody mentions
    head = EmbeddingHead().fit(X, Y)
    assert head.labels_ == ("label_0", "label_1", "label_2")
    assert not head.predict(X)[:, 2].any()
    with pytest.raises(Exception, match="without sentiment labels"):
        head.predict_sentiment(X)


def test_head_directory_errors(tmp_path: Path) -> None:
    X, Y = separable_embeddings()
    path = EmbeddingHead().fit(X, Y).save(tmp_path / "head")
    with pytest.raises(OutputError, match="exists"):
        EmbeddingHead().fit(X, Y).save(path)
    with pytest.raises(ModelNotFoundError, match="head.json missing"):
        EmbeddingHead.load(tmp_path / "nothing")
    (path / "head.npz").write_bytes((path / "head.npz").read_bytes() + b"x")
    with pytest.raises(IncompatibleModelError, match="does not match its hash"):
        EmbeddingHead.load(path)


# -- the tiny model ----------------------------------------------------------------------

def test_embedding_shape_norm_and_docs(tiny_model: Path) -> None:
    emb = TransformerEmbedder(tiny_model)
    E = emb.embed(REVIEWS)
    assert E.shape == (len(REVIEWS), emb.dim) == (len(REVIEWS), 32) and E.dtype == np.float32
    assert np.allclose(np.linalg.norm(E, axis=1), 1.0, atol=1e-5)
    docs = [Doc(norm=t, words=[]) for t in REVIEWS[:3]]
    assert np.array_equal(emb.embed(docs), E[:3])
    assert emb.embed([]).shape == (0, 32)
    assert np.array_equal(emb.fit(REVIEWS).transform(REVIEWS[:3]), E[:3])


def test_chinese_text_is_tokenized_not_unknown(tiny_model: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_model), local_files_only=True)
    assert tok.tokenize("味道太淡了，包装也破了") == list("味道太淡了，包装也破了")
    E = TransformerEmbedder(tiny_model).embed(["味道太淡了，包装也破了", "配送员态度很好"])
    assert float(E[0] @ E[1]) < 0.9999


def test_batching_does_not_change_vectors(tiny_model: Path) -> None:
    small = TransformerEmbedder(tiny_model, batch_size=2).embed(REVIEWS)
    large = TransformerEmbedder(tiny_model, batch_size=16).embed(REVIEWS)
    assert np.allclose(small, large, atol=1e-5)


def test_cls_pooling_differs_from_mean(tiny_model: Path) -> None:
    mean = TransformerEmbedder(tiny_model).embed(REVIEWS[:2])
    cls = TransformerEmbedder(tiny_model, pooling="cls").embed(REVIEWS[:2])
    assert not np.allclose(mean, cls)
    assert np.allclose(np.linalg.norm(cls, axis=1), 1.0, atol=1e-5)


def test_progress_and_memory_cache(tiny_model: Path) -> None:
    seen: list[int] = []
    emb = TransformerEmbedder(tiny_model, batch_size=3, progress=seen.append)
    texts = REVIEWS + REVIEWS[:2]  # two repeats: encoded once
    first = emb.embed(texts)
    assert emb.encoded_count == len(REVIEWS)
    assert seen == sorted(seen) and seen[-1] == len(texts) and len(seen) == 4  # ceil(10 / 3) batches
    seen.clear()
    again = emb.embed(texts)
    assert emb.encoded_count == len(REVIEWS) and seen == [len(texts)]  # nothing encoded
    assert np.array_equal(first, again)


def test_disk_cache_and_model_change(tiny_model: Path, tmp_path: Path) -> None:
    import shutil

    from tiny_bert import build_tiny_bert

    model = Path(shutil.copytree(tiny_model, tmp_path / "model"))
    cache = tmp_path / "cache"
    first = TransformerEmbedder(model, cache_dir=cache).embed(REVIEWS)
    reread = TransformerEmbedder(model, cache_dir=cache)
    assert np.array_equal(reread.embed(REVIEWS), first) and reread.encoded_count == 0
    build_tiny_bert(model, seed=1)  # other weights in the same directory
    changed = TransformerEmbedder(model, cache_dir=cache)
    assert changed.fingerprint != reread.fingerprint
    assert not np.allclose(changed.embed(REVIEWS), first)
    assert changed.encoded_count == len(REVIEWS)


def test_state_reference_checks_fingerprint(tiny_model: Path, tmp_path: Path) -> None:
    import shutil

    from tiny_bert import build_tiny_bert

    model = Path(shutil.copytree(tiny_model, tmp_path / "model"))
    meta, arrays = TransformerEmbedder(model, max_length=64).to_state()
    assert json.loads(json.dumps(meta)) == meta and arrays == {}
    assert TransformerEmbedder.from_state(meta, arrays).max_length == 64
    build_tiny_bert(model, seed=2)
    with pytest.raises(IncompatibleModelError, match="not the one this model was trained with"):
        TransformerEmbedder.from_state(meta, arrays)


def test_damaged_weights_fail_clearly(tiny_model: Path, tmp_path: Path) -> None:
    import shutil

    model = Path(shutil.copytree(tiny_model, tmp_path / "model"))
    (model / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(EncoderError, match="transformers cannot load the model in"):
        TransformerEmbedder(model).embed(["味道太淡了"])


# -- fine-tuning -------------------------------------------------------------------------

FT_CONFIG = FinetuneConfig(epochs=3, batch_size=4, max_length=32, lr=1e-3, head_lr=5e-2, val_fraction=0.3)


@pytest.fixture(scope="module")
def tuned(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("ft") / "tuned"
    return finetune(tiny_model, REVIEWS, TOPICS, out, labels=("口味", "配送"), sentiment=SENTIMENT,
                    config=FT_CONFIG)


def test_finetune_runs_and_loss_decreases(tuned) -> None:  # type: ignore[no-untyped-def]
    assert len(tuned.losses) == 3 and tuned.losses[-1] < tuned.losses[0]
    assert {"config.json", "model.safetensors"} <= {f.name for f in tuned.encoder_dir.iterdir()}
    meta = json.loads((tuned.path / "finetune.json").read_text(encoding="utf-8"))
    assert meta["losses"] == tuned.losses and meta["labels"] == ["口味", "配送"]
    assert tuned.head.thresholds_.shape == (2,) and tuned.head.sentiment_classes_ == ("neg", "pos")


def test_finetuned_model_round_trips(tuned, tiny_model: Path) -> None:  # type: ignore[no-untyped-def]
    emb = TransformerEmbedder(tuned.encoder_dir, max_length=FT_CONFIG.max_length)
    E = emb.embed(REVIEWS)
    assert np.allclose(E, tuned.embeddings, atol=1e-5)
    assert not np.allclose(E, TransformerEmbedder(tiny_model, max_length=32).embed(REVIEWS), atol=1e-3)
    head = EmbeddingHead.load(tuned.head_dir)
    assert np.array_equal(head.predict(E), tuned.head.predict(tuned.embeddings))
    assert np.allclose(head.predict_proba(E), tuned.head.predict_proba(tuned.embeddings), atol=1e-5)
    assert np.array_equal(head.predict_sentiment(E), tuned.head.predict_sentiment(tuned.embeddings))


def test_finetune_is_deterministic(tuned, tiny_model: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    again = finetune(tiny_model, REVIEWS, TOPICS, tmp_path / "again", labels=("口味", "配送"),
                     sentiment=SENTIMENT, config=FT_CONFIG)
    assert np.allclose(again.losses, tuned.losses, atol=1e-6)
    assert np.allclose(again.embeddings, tuned.embeddings, atol=1e-6)


def test_finetune_refuses_existing_output(tiny_model: Path, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    with pytest.raises(OutputError, match="exists"):
        finetune(tiny_model, REVIEWS, TOPICS, tmp_path / "out")
