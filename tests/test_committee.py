"""The committee ``koubei train`` keeps (its folds' topic detectors) and ``koubei suggest`` asks."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from koubei import load_model
from koubei.classify.topics import TopicDetector
from koubei.cli import app
from koubei.errors import IncompatibleModelError
from koubei.io import canonicalize
from koubei.model.committee import COMMITTEE_FILES, Committee, disagreement, load_committee
from koubei.model.review_model import ReviewModel
from koubei.resources import default_model_path
from koubei.text.docs import prepare_many
from koubei.train.suggest import suggest

SNACK_LABELS = Path(__file__).parent / "data" / "labelled_snacks.csv"
TEXTS = ["味道太淡了，没什么味", "薯片到手全碎了，包装也压扁了", "物流很快，第二天就到了",
         "快递挺快，味道普通", "这个价钱嘛，也就这样", "还行吧", "吃完肚子有点不舒服",
         "客服说给退款结果一直没退",
         "瓜子太咸了，齁得慌", "分量太少了，根本吃不饱", "孩子挺喜欢的，就是甜了点", "饼干受潮了，不脆"]
runner = CliRunner()


def _proba(model: ReviewModel, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    docs = prepare_many(texts, model.segmenter)
    committee = model.committee()
    assert committee is not None
    return committee.topic_proba(model.components, docs), model.components.encode(docs).topic_pass().proba


def test_train_keeps_the_folds_detectors_on_the_models_scale(trained: Path) -> None:
    manifest = json.loads((trained / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["committee"]["members"] == 3  # --folds 3
    assert set(COMMITTEE_FILES) <= set(manifest["files"])
    assert manifest["training"]["committee"] == "3 topic detectors of the cross-validation folds"
    card = (trained / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Committee for `koubei suggest`: 3 topic detectors of the cross-validation folds." in card
    model = load_model(trained)
    assert model.has_committee
    committee = model.committee()
    assert committee is not None and len(committee) == 3
    assert all(type(m) is TopicDetector for m in committee.members)
    assert all(m.n_features_in_ == model.components.topics.n_features_in_ for m in committee.members)
    P, main = _proba(model, TEXTS)
    assert P.shape == (3, len(TEXTS), len(model.taxonomy.topics))
    # calibrated like the final detector: their mean follows it closely ...
    assert np.corrcoef(P.mean(axis=0).ravel(), main.ravel())[0, 1] > 0.9
    # ... but each saw other labels, so they differ from each other
    assert not np.allclose(P[0], P[1], atol=0.01)
    taste = model.taxonomy.topic_ids.index("taste")
    assert (P[:, 0, taste] > 0.5).all()  # all three hear a clear taste complaint


def test_committee_save_load_gives_the_same_probabilities(trained: Path, tmp_path: Path) -> None:
    model = load_model(trained)
    committee = model.committee()
    assert committee is not None
    entry = committee.save(tmp_path)
    assert entry == {"members": 3, "source": committee.source, "files": list(COMMITTEE_FILES)}
    again = load_committee(tmp_path, {"committee": entry}, int(model.components.topics.n_features_in_))
    assert again is not None
    docs = prepare_many(TEXTS, model.segmenter)
    np.testing.assert_array_equal(committee.topic_proba(model.components, docs),
                                  again.topic_proba(model.components, docs))
    assert load_committee(tmp_path, {}, 1) is None  # no manifest entry, no committee


def test_disagreement_sums_the_topic_spreads() -> None:
    P = np.array([[[0.1, 0.9], [0.5, 0.5]], [[0.3, 0.9], [0.5, 0.5]]])  # 2 members, 2 reviews, 2 topics
    score, top = disagreement(P)
    assert score.tolist() == pytest.approx([0.1, 0.0]) and top.tolist() == [0, 0]


def test_suggest_picks_what_the_committee_disputes(trained: Path) -> None:
    model = load_model(trained)
    res = suggest(canonicalize(pd.DataFrame({"text": TEXTS})), model, n=4)
    assert res.strategy == "committee" and res.kinds == ["committee"] * 4
    P, _ = _proba(model, TEXTS)
    score, top = disagreement(P)
    first = res.frame.iloc[0]
    assert first["text"] == TEXTS[int(score.argmax())]
    assert first["uncertainty"] == pytest.approx(score.max(), abs=1e-4)
    assert res.frame["uncertainty"].is_monotonic_decreasing
    assert TEXTS[int(score.argmin())] not in res.frame["text"].tolist()
    disputed = model.taxonomy.topics[int(top[score.argmax()])]
    assert f"committee of 3 split on {disputed.id}" in first["reason"]
    assert f"3 个模型对「{disputed.zh}」意见不一" in first["reason"] and "labelled so far" in first["reason"]
    plain = suggest(canonicalize(pd.DataFrame({"text": TEXTS})), model, n=4, strategy="uncertainty")
    assert plain.strategy == "uncertainty" and set(plain.kinds or []) <= {"topic", "polarity", "sentiment"}


def test_the_committee_does_not_dispute_a_review_of_verdicts_alone(trained: Path) -> None:
    """Its topics are dropped whatever the members say, so it is scored 0 and says why."""
    model = load_model(trained)
    res = suggest(canonicalize(pd.DataFrame({"text": TEXTS + ["超级棒"]})), model, n=len(TEXTS) + 1)
    row = res.frame[res.frame["text"] == "超级棒"].iloc[0]
    assert row["uncertainty"] == 0 and row["rank"] == len(TEXTS) + 1
    assert row["reason"].startswith("只有评价词，无话题可标 / said in verdicts alone: no topic to label")
    assert "labelled so far" not in row["reason"]


def test_a_model_without_committee_falls_back_or_refuses(default_model: ReviewModel, tmp_path: Path) -> None:
    assert not default_model.has_committee and default_model.committee() is None
    frame = canonicalize(pd.DataFrame({"text": TEXTS}))
    assert suggest(frame, default_model, n=3).strategy == "uncertainty"
    with pytest.raises(IncompatibleModelError, match="has no committee.*--strategy uncertainty"):
        suggest(frame, default_model, n=3, strategy="committee")
    pd.DataFrame({"评论内容": TEXTS}).to_csv(tmp_path / "u.csv", index=False)
    out = tmp_path / "to_label.csv"
    res = runner.invoke(app, ["suggest", str(tmp_path / "u.csv"), "-n", "3", "-o", str(out),
                              "--strategy", "committee"])
    assert res.exit_code == IncompatibleModelError.exit_code and "has no committee" in res.output
    assert "Traceback" not in res.output and not out.exists()


def test_suggest_cli_names_the_strategy(trained: Path, tmp_path: Path) -> None:
    pd.DataFrame({"评论内容": TEXTS}).to_csv(tmp_path / "u.csv", index=False)
    res = runner.invoke(app, ["suggest", str(tmp_path / "u.csv"), "--model", str(trained), "-n", "3",
                              "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == 0, res.output
    assert "3 of 12 distinct reviews suggested (committee); picked for: committee 3" in res.output
    assert "note: the model was trained on 96 labelled reviews" in res.output  # fewer than 100


def test_cli_offers_the_strategies_suggest_knows() -> None:
    from koubei.cli.suggest import Strategy as CliStrategy
    from koubei.train.suggest import Strategy

    assert [s.value for s in CliStrategy] == [s.value for s in Strategy]


@pytest.mark.slow
def test_no_committee_leaves_it_out(tmp_path: Path) -> None:
    few = tmp_path / "few.csv"
    pd.read_csv(SNACK_LABELS, dtype=str, keep_default_na=False).head(40).to_csv(few, index=False)
    out = tmp_path / "m"
    res = runner.invoke(app, ["train", str(few), "--base", str(default_model_path()), "-o", str(out),
                              "--folds", "2", "--no-committee", "-q"])
    assert res.exit_code == 0, res.output
    assert not any((out / f).exists() for f in COMMITTEE_FILES)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "committee" not in manifest and not set(COMMITTEE_FILES) & set(manifest["files"])
    assert manifest["training"]["committee"] == "none: not asked for (--no-committee)"
    assert not load_model(out).has_committee


def _rehash(bundle: Path, name: str) -> None:
    mpath = bundle / "manifest.json"
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    manifest["files"][name] = hashlib.sha256((bundle / name).read_bytes()).hexdigest()
    mpath.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def test_damaged_or_misfit_committee_is_a_clear_error(trained: Path, tmp_path: Path) -> None:
    bundle = Path(shutil.copytree(trained, tmp_path / "b"))
    (bundle / "committee.npz").write_bytes(b"not an npz")
    with pytest.raises(IncompatibleModelError, match="committee.npz does not match its hash"):
        load_model(bundle)
    _rehash(bundle, "committee.npz")  # edited with its hash: loads, then the committee cannot be read
    model = load_model(bundle)
    with pytest.raises(IncompatibleModelError, match=r"the committee \(committee.json, committee.npz\) "
                                                     "cannot be read.*retrain"):
        model.committee()
    good = load_model(trained).committee()
    assert good is not None
    Committee(good.members[:1]).save(bundle)  # one member: nothing to disagree about
    for name in COMMITTEE_FILES:
        _rehash(bundle, name)
    with pytest.raises(IncompatibleModelError, match="does not fit the model"):
        load_model(bundle).committee()
    res = runner.invoke(app, ["suggest", str(SNACK_LABELS), "--model", str(bundle), "-n", "3",
                              "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == IncompatibleModelError.exit_code and "does not fit the model" in res.output
    assert not (tmp_path / "s.csv").exists()
