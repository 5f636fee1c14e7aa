"""``koubei train`` / ``koubei evaluate`` and the label readers, on the committed snack labels.

tests/data/labelled_snacks.csv: 96 snack reviews written and labelled by the
team to ../shared/corpora/labels/GUIDELINE.md (no corpus rows copied).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from koubei import load_model
from koubei.cli import app
from koubei.corpora import GoldRecord
from koubei.errors import IncompatibleModelError, InputError, LabelError, OutputError
from koubei.model.bundle import load_components
from koubei.model.committee import load_committee
from koubei.resources import default_model_path
from koubei.taxonomy import Taxonomy, load_taxonomy, taxonomy_from_dict
from koubei.text.docs import prepare_many
from koubei.train import crossval, evaluate_bundle, read_labels, train_bundle
from koubei.train.calibrate import THRESHOLD_PRIOR
from koubei.train.evaluate import render_html, table_lines
from koubei.train.parts import resolve_source, start_detector
from koubei.train.split import multilabel_folds

DATA = Path(__file__).parent / "data" / "labelled_snacks.csv"
BASE = default_model_path()
runner = CliRunner()


def invoke(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def write_labels(path: Path, rows: list[tuple[str, str, str]], taste: bool = False) -> Path:
    df = pd.DataFrame(rows, columns=["text", "sentiment", "topics"])
    if taste:
        df["taste_detail"] = ""
    df.to_csv(path, index=False)
    return path


# -- reading labels ------------------------------------------------------------------------------

def test_read_tabular_labels_counts_and_directions() -> None:
    records, report = read_labels(DATA, load_taxonomy())
    assert report.records == len(records) == 96
    by_id = {r.id: r for r in records}
    assert by_id["snk-001"].topics == {"taste": "neg"} and by_id["snk-001"].taste_detail == ("too_salty",)
    assert by_id["snk-025"].topics == {} and by_id["snk-025"].sentiment == "pos"
    assert report.topic_counts["hygiene_safety"] == {"neg": 6}
    assert report.topic_support("authenticity_description") == 2


def test_per_topic_columns_aliases_and_checked_rows(tmp_path: Path) -> None:
    df = pd.DataFrame({"评论内容": ["太咸了", "包装破了", "送得快"], "topic_taste": ["负面", "", ""],
                       "packaging": ["", "neg", ""], "delivery_logistics": ["", "", "pos"],
                       "sentiment": ["neg", "neg", "pos"], "checked": ["1", "y", ""]})
    df.to_excel(tmp_path / "l.xlsx", index=False)
    records, report = read_labels(tmp_path / "l.xlsx", load_taxonomy())
    assert [r.topics for r in records] == [{"taste": "neg"}, {"packaging": "neg"}]
    assert report.skipped == {"not checked": 1}


def test_a_label_workbook_without_extension_is_read_and_other_files_are_refused(tmp_path: Path) -> None:
    df = pd.DataFrame({"评论内容": ["太咸了", "包装破了"], "topics": ["taste:neg", "packaging:neg"],
                       "sentiment": ["neg", "neg"]})
    df.to_excel(tmp_path / "labels.xlsx", index=False)
    (tmp_path / "labels.xlsx").rename(tmp_path / "标注导出")
    records, _ = read_labels(tmp_path / "标注导出", load_taxonomy())
    assert [r.topics for r in records] == [{"taste": "neg"}, {"packaging": "neg"}]
    (tmp_path / "notes").write_text("太咸了,neg\n", encoding="utf-8")
    with pytest.raises(LabelError, match=r"notes: cannot read labels from a file without extension; use"):
        read_labels(tmp_path / "notes", load_taxonomy())


def test_jsonl_gold_format(tmp_path: Path) -> None:
    p = tmp_path / "l.jsonl"
    p.write_text(json.dumps({"id": "a", "text": "味道太淡了", "sentiment": "neg", "topics": {"taste": "neg"},
                             "taste_detail": ["too_bland"]}, ensure_ascii=False) + "\n\n"
                 + json.dumps({"id": "b", "text": "口味:", "sentiment": "neu", "topics": "口味:中性"},
                              ensure_ascii=False) + "\n", encoding="utf-8")
    records, _ = read_labels(p, load_taxonomy())
    assert [(r.id, r.topics, r.taste_detail) for r in records] == [
        ("a", {"taste": "neg"}, ("too_bland",)), ("b", {"taste": "neu"}, ())]


def test_unknown_labels_are_listed_with_rows(tmp_path: Path) -> None:
    p = write_labels(tmp_path / "l.csv", [("太咸了", "neg", "taste:neg"), ("有股味", "neg", "smell:neg"),
                                          ("很脆", "pos", "texture:pos;smell:neu"), ("一般", "meh", "")])
    with pytest.raises(LabelError, match=r"'smell' \(row 3, row 4\); 'texture' \(row 4\)") as e:
        read_labels(p, load_taxonomy())
    assert "'meh' (row 5)" in str(e.value) and "l.csv" in str(e.value)


def test_bad_polarity_and_taste_direction(tmp_path: Path) -> None:
    p = tmp_path / "l.csv"
    pd.DataFrame({"text": ["太咸了", "难吃"], "topics": ["taste:bad", "taste"],
                  "taste_detail": ["too_weird", ""]}).to_csv(p, index=False)
    with pytest.raises(LabelError, match=r"taste:bad.*taste \(no polarity\).*too_weird"):
        read_labels(p, load_taxonomy())


def test_labels_of_another_taxonomy(tmp_path: Path) -> None:
    p = write_labels(tmp_path / "l.csv", [("油耗太高", "neg", "fuel:neg"), ("动力足", "pos", "power:pos")])
    with pytest.raises(LabelError, match="none of its topic labels is in taxonomy koubei-default"):
        read_labels(p, load_taxonomy())


def test_no_label_columns_and_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "l.csv"
    pd.DataFrame({"text": ["好吃"], "星级": [5]}).to_csv(p, index=False)
    with pytest.raises(LabelError, match="no label columns"):
        read_labels(p, load_taxonomy())
    with pytest.raises(InputError, match="not found"):
        read_labels(tmp_path / "nope.csv", load_taxonomy())
    bad = tmp_path / "l.jsonl"
    bad.write_text('{"text": "好吃", "topics": {}}\n{oops\n', encoding="utf-8")
    with pytest.raises(LabelError, match="line 2 is not valid JSON"):
        read_labels(bad, load_taxonomy())


def test_duplicates_are_dropped_and_conflicts_warned(tmp_path: Path) -> None:
    p = write_labels(tmp_path / "l.csv", [("太咸了！", "neg", "taste:neg"), ("太咸了!", "pos", "taste:pos")])
    records, report = read_labels(p, load_taxonomy())
    assert len(records) == 1 and report.skipped == {"duplicate text": 1}
    assert records[0].sentiment == "pos" and records[0].topics == {"taste": "pos"}  # the later wins
    assert "other labels (neg;taste:neg -> pos;taste:pos); the later is kept" in report.warnings[0]


def test_identical_duplicates_are_dropped_without_a_warning(tmp_path: Path) -> None:
    p = write_labels(tmp_path / "l.csv", [("太咸了！", "neg", "taste:neg"), ("太咸了!", "neg", "taste:neg")])
    records, report = read_labels(p, load_taxonomy())
    assert len(records) == 1 and report.skipped == {"duplicate text": 1} and not report.warnings


def test_multilabel_folds_spread_rare_labels() -> None:
    rng = np.random.default_rng(1)
    Y = (rng.random((90, 6)) < [0.5, 0.3, 0.1, 0.05, 0.05, 0.02]).astype(int)
    folds = multilabel_folds(Y, 3, seed=0)
    assert sorted(np.concatenate(folds).tolist()) == list(range(90))
    for j in range(6):
        per = [int(Y[f, j].sum()) for f in folds]
        assert max(per) - min(per) <= 1, (j, per)
    assert [f.tolist() for f in folds] == [f.tolist() for f in multilabel_folds(Y, 3, seed=0)]


def test_hashed_group_folds_move_only_the_texts_that_change() -> None:
    from koubei.train.split import hashed_group_folds

    texts = [f"第{i}家店的味道{'不错' if i % 3 else '太咸了'}" for i in range(400)]
    keys = texts + texts[:50]  # 50 texts said twice: each pair in one fold
    folds = hashed_group_folds(keys, 5, seed=0)
    fold_of = np.empty(len(keys), dtype=int)
    for f, te in enumerate(folds):
        fold_of[te] = f
    assert sorted(np.concatenate(folds).tolist()) == list(range(len(keys)))
    assert (fold_of[:50] == fold_of[400:]).all()
    assert min(map(len, folds)) > 0.6 * len(keys) / 5
    # one text normalized differently, or one more text: no other row changes fold
    changed = list(keys)
    changed[7] = "第7家店的味道不错!"
    again = np.empty(len(keys), dtype=int)
    for f, te in enumerate(hashed_group_folds(changed, 5, seed=0)):
        again[te] = f
    assert (np.delete(again, [7]) == np.delete(fold_of, [7])).all()
    more = np.empty(len(keys) + 1, dtype=int)
    for f, te in enumerate(hashed_group_folds(["一条新评论", *keys], 5, seed=0)):
        more[te] = f
    assert (more[1:] == fold_of).all()
    # another seed deals them out anew
    other = np.empty(len(keys), dtype=int)
    for f, te in enumerate(hashed_group_folds(keys, 5, seed=1)):
        other[te] = f
    assert (other != fold_of).mean() > 0.5
    # fewer distinct texts than folds: an error, not an empty fold
    with pytest.raises(ValueError, match="distinct texts leave some of 5 folds empty"):
        hashed_group_folds(["好吃", "太咸了", "好吃"], 5)


# -- training ------------------------------------------------------------------------------------

def test_train_save_load_score_round_trip(trained: Path, tmp_path: Path) -> None:
    model = load_model(trained)
    preds = model.predict(["这瓜子太咸了，齁得慌", "薯片到手全碎了，包装也压扁了", "物流很快，第二天就到了"])
    assert preds[0].topics.get("taste") == "neg" and preds[0].taste_detail == ["too_salty"]
    assert preds[1].topics.get("packaging") == "neg"
    assert preds[2].topics.get("delivery_logistics") == "pos"
    texts = ["这瓜子太咸了，齁得慌", "包装破了", "太咸了"]
    pd.DataFrame({"评论内容": texts}).to_csv(tmp_path / "in.csv", index=False)
    res = invoke("score", tmp_path / "in.csv", "--model", trained, "-o", tmp_path / "out.csv", "-q")
    assert res.exit_code == 0, res.output
    out = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    assert out["topic_taste"][0] == "neg" and out["topic_packaging"][1] == "neg"
    assert out["topics"].tolist() == [";".join(f"{t}:{p}" for t, p in pr.topics.items())
                                      for pr in model.predict(texts)]


def test_thresholds_are_tuned_and_persisted(trained: Path) -> None:
    manifest = json.loads((trained / "manifest.json").read_text(encoding="utf-8"))
    stored = manifest["training"]["thresholds"]
    loaded = load_model(trained).components.topics.thresholds_
    tax = load_taxonomy()
    assert [stored[t] for t in tax.topic_ids] == pytest.approx(loaded.tolist())
    assert len(set(loaded.tolist())) > 2  # tuned per topic, not 0.5 everywhere
    shrink = manifest["training"]["threshold_shrinkage"]
    assert shrink["prior"] == THRESHOLD_PRIOR and 0.15 <= shrink["shared"] <= 0.85
    assert "shrunk toward one shared by them all" in (trained / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert manifest["training"]["base"]["path"] == str(BASE)
    assert manifest["training_data"][0]["sha256"] == read_labels(DATA, tax)[1].sha256
    assert manifest["training"]["label_counts"]["hygiene_safety"] == {"neg": 6}
    assert 0.5 < manifest["metrics"]["topics_cv"]["micro_f1"] <= 1.0


def test_rare_topics_stay_cue_only_and_the_card_says_so(trained: Path) -> None:
    manifest = json.loads((trained / "manifest.json").read_text(encoding="utf-8"))
    rules = manifest["training"]["rule_based_topics"]
    assert set(rules) == {"authenticity_description", "function_performance", "environment_facilities"}
    card = (trained / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "rule-based: 2 labelled reviews (< 5): cue words only" in card
    assert "libraries" not in card and "scikit-learn" in card
    umask = os.umask(0)
    os.umask(umask)
    assert (trained / "MODEL_CARD.md").stat().st_mode & 0o777 == 0o666 & ~umask  # readable like any file
    [with_cue, without] = load_model(trained).predict(["这个是假货吧", "吃起来还不错"])
    assert "authenticity_description" in with_cue.topics
    assert "authenticity_description" not in without.topics


@pytest.mark.slow
def test_training_is_deterministic(trained: Path, tmp_path: Path) -> None:
    """The same bundle again, its folds fitted one after the other in this process."""
    res = invoke("train", DATA, "--base", BASE, "-o", tmp_path / "again", "--folds", 3, "--workers", 1, "-q")
    assert res.exit_code == 0, res.output
    for name in ("heads.json", "embedder.json", "taxonomy.json", "committee.json"):
        assert (trained / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
    for name in ("arrays.npz", "committee.npz"):
        with np.load(trained / name) as a, np.load(tmp_path / "again" / name) as b:
            assert sorted(a.files) == sorted(b.files)
            assert all(np.array_equal(a[k], b[k]) for k in a.files)


def _reordered(tax: Taxonomy) -> Taxonomy:
    raw = tax.to_dict()
    return taxonomy_from_dict({**raw, "topics": raw["topics"][::-1]})


def test_fits_start_from_the_base_detector_only_when_it_reads_the_same_columns() -> None:
    """With a base of the same topics in the same order and columns, every topic fit starts from
    its detector; other topics, the same in another order, or other columns do not."""
    tax = load_taxonomy()
    records, _ = read_labels(DATA, tax)
    src = resolve_source(tax, records, BASE, 5, print)
    assert start_detector(src, tax) is src.start is not None
    assert start_detector(dataclasses.replace(src, dense=None), tax) is None  # other side columns
    reordered = _reordered(tax)
    assert resolve_source(reordered, read_labels(DATA, reordered)[0], BASE, 5, print).start is None
    raw = tax.to_dict()
    fewer = taxonomy_from_dict({**raw, "topics": [t for t in raw["topics"] if t["id"] != "hygiene_safety"]})
    assert start_detector(src, fewer) is None


def test_with_a_start_the_final_fit_is_a_job_beside_the_folds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Which fits run, in which order, from which start, and which one is the final bundle's."""
    tax = load_taxonomy()
    records, _ = read_labels(DATA, tax)
    base = load_components(BASE)[0]
    calls: list[tuple[str, bool, object]] = []

    def fake_fit_parts(taxonomy, src, docs, recs, rule_idx, seed, plan=None, tag="final", cv=False,  # type: ignore[no-untyped-def]
                       init=None):
        calls.append((tag, cv, init))
        return dataclasses.replace(base, embedder=src.embedder, sentiment=copy.copy(base.sentiment))

    monkeypatch.setattr(crossval, "fit_parts", fake_fit_parts)
    with_start = resolve_source(tax, records, BASE, 5, print)
    docs = prepare_many([r.text for r in records])
    for src in (with_start, dataclasses.replace(with_start, start=None)):
        calls.clear()
        final, folds, _ = crossval.cross_validate(tax, src, docs, records, [], 3, 0, print)
        tags = [t for t, _, _ in calls]
        assert sorted(tags) == ["final", "fold1", "fold2", "fold3"] and tags[0] == "final"
        assert [cv for _, cv, _ in calls] == [False, True, True, True]
        assert len(folds) == 3 and final.embedder is src.embedder
        if src.start is not None:  # every fit from the base's detector
            assert all(init is src.start for _, _, init in calls)
        else:  # the final from zeros, the folds from the final's detector
            assert calls[0][2] is None and all(init is final.topics for _, _, init in calls[1:])


@pytest.mark.slow
def test_a_fit_from_the_base_detector_ends_where_one_from_the_final_fit_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the base's start the final fit runs beside the folds; without it the folds start
    from the final fit, fitted first. The final and the folds' detectors (the committee) agree
    to the solver's tolerance."""
    tax = load_taxonomy()
    records, _ = read_labels(DATA, tax)
    said: dict[str, list[str]] = {"base": [], "final": []}
    fitted = {}
    for name in ("base", "final"):
        if name == "final":
            monkeypatch.setattr(crossval, "start_detector", lambda src, taxonomy: None)
        res = train_bundle(records, taxonomy=tax, base=BASE, folds=3, output=tmp_path / name,
                           log=said[name].append)
        model = load_model(res.path)
        committee = load_committee(res.path, model.manifest, model.components.topics.n_features_in_)
        assert committee is not None
        fitted[name] = [model.components.topics, *committee.members]  # the final fit, then the folds
    assert ("fitting on all the labels and cross-validating, starting from the base's topic detector"
            in said["base"])
    assert "model fitted on all the labels; cross-validating it" in said["final"]
    assert len(fitted["base"]) == len(fitted["final"]) == 4
    for a, b in zip(fitted["base"], fitted["final"]):
        assert np.array_equal(a.columns_, b.columns_)
        scale = np.abs(a.coef_).max()  # about 3: the solver's tolerance leaves ~0.1 % of it
        assert np.abs(a.coef_ - b.coef_).max() < 5e-3 * scale
        assert np.abs(a.stack_coef_ - b.stack_coef_).max() < 5e-3 * np.abs(a.stack_coef_).max()


def test_train_without_base_learns_sentiment_from_labels(tmp_path: Path) -> None:
    tax = load_taxonomy()
    records, report = read_labels(DATA, tax)
    res = train_bundle(records, taxonomy=tax, output=tmp_path / "own", folds=3, label_report=report)
    assert res.manifest["training"]["sentiment"].startswith("trained on the labels; the polarity head read "
                                                            "it cross-fitted (5 folds")  # 32 pos, 57 neg
    assert res.manifest["training"]["base"] is None
    model = load_model(res.path)
    assert model.components.embedder.n_features_out_ < 20_000  # its own small vocabulary
    assert model.predict(["太难吃了，再也不买了"])[0].sentiment == "neg"
    assert model.components.sentiment.gold_coef_ is None  # 7 neu labels: the band, no 3-class head
    assert "sentiment_head" not in res.manifest


def test_train_with_ten_of_each_sentiment_learns_the_three_class_head(tmp_path: Path) -> None:
    tax = load_taxonomy()
    records, report = read_labels(DATA, tax)
    extra = [GoldRecord(f"neu-{i}", "test", "added", text, "neu", {}, ()) for i, text in enumerate(
        ["瓜子收到了，还没吃", "还没拆开，先评价", "给家里人买的，不知道怎么样", "第二次买了，看看这次",
         "中规中矩吧"])]
    res = train_bundle(records + extra, taxonomy=tax, output=tmp_path / "own", folds=3)
    model = load_model(res.path)
    assert model.components.sentiment.gold_coef_ is not None and model.components.lexicon is not None
    assert res.manifest["sentiment_head"]["labels"] == ["neg", "neu", "pos"]
    said = {p.sentiment for p in model.predict([r.text for r in records + extra])}
    assert said == {"pos", "neg", "neu"}


def test_train_refuses_bad_outputs_and_bases(trained: Path, tmp_path: Path) -> None:
    res = invoke("train", DATA, "--base", BASE, "-o", trained)
    assert res.exit_code == OutputError.exit_code and "not empty; pass --overwrite" in res.output
    res = invoke("train", DATA, "--base", BASE, "-o", BASE, "--overwrite")  # the base is an input
    assert res.exit_code == OutputError.exit_code and "is also an input of this command" in res.output
    from koubei.train.fit import check_output_dir

    with pytest.raises(OutputError, match="bundled default"):  # not an input, still never overwritten
        check_output_dir(default_model_path(), True)
    (tmp_path / "empty").mkdir()
    tax = load_taxonomy()
    records, _ = read_labels(DATA, tax)
    with pytest.raises(LabelError, match="only 5 labelled reviews"):
        train_bundle(records[:5], taxonomy=tax, output=tmp_path / "empty", base=BASE)
    res = invoke("train", DATA, "--base", tmp_path / "nowhere", "-o", tmp_path / "x")
    assert res.exit_code == 5 and "not found" in res.output


OTHER_TAXONOMY = """
name: cars
version: "1"
dimensions: {product: {zh: 产品, en: Product}}
topics:
  - {id: fuel, zh: 油耗, dimension: product, cues: [油耗]}
  - {id: power, zh: 动力, dimension: product, cues: [动力]}
"""


def test_base_of_another_taxonomy_is_refused(tmp_path: Path) -> None:
    (tmp_path / "cars.yaml").write_text(OTHER_TAXONOMY, encoding="utf-8")
    rows = [("油耗太高了", "neg", "fuel:neg"), ("动力很足", "pos", "power:pos")] * 6
    p = write_labels(tmp_path / "cars.csv", [(f"{t}{i}", s, tp) for i, (t, s, tp) in enumerate(rows)])
    res = invoke("train", p, "--taxonomy", tmp_path / "cars.yaml", "--base", BASE, "-o", tmp_path / "m")
    assert res.exit_code == IncompatibleModelError.exit_code
    assert "shares no topic with cars v1" in res.output and "train without --base" in res.output


def test_cli_unknown_labels_exit_code(tmp_path: Path) -> None:
    p = write_labels(tmp_path / "l.csv", [("太咸了", "neg", "taste:neg"), ("有股味", "neg", "smell:neg")])
    res = invoke("train", p, "-o", tmp_path / "m")
    assert res.exit_code == LabelError.exit_code == 2
    assert "'smell' (row 3)" in res.output and "Traceback" not in res.output


# -- evaluate ------------------------------------------------------------------------------------

def test_evaluate_bundle_metrics_and_worst_errors(trained: Path, tmp_path: Path) -> None:
    hold = write_labels(tmp_path / "hold.csv", [
        ("瓜子太咸了，齁死了", "neg", "taste:neg"),
        ("<script>alert(1)</script>", "neg", "hygiene_safety:neg"),
        ("送得很快", "pos", "delivery_logistics:pos"), ("很好，满意", "pos", ""),
        ("太难吃了", "pos", "price_value:pos")], taste=True)
    res = evaluate_bundle(trained, hold, worst=5)
    assert res["labels"]["records"] == 5
    assert set(res["topics"]["per_topic"]["taste"]) == {"precision", "recall", "f1", "support"}
    assert res["confusion"]["taste"]["neg"]["neg"] == 1
    assert res["sentiment"]["n"] == 5 and "confusion" in res["sentiment"]
    worst = next(w for w in res["worst"] if w["text"] == "太难吃了")
    assert "missed price_value:pos" in worst["errors"]
    assert "sentiment pos→neg" in worst["errors"]
    html = render_html(res)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert any("micro-F1" in line for line in table_lines(res))


def test_evaluate_cli_outputs(trained: Path, tmp_path: Path) -> None:
    res = invoke("evaluate", DATA, "--model", trained, "-o", tmp_path / "eval.html", "--worst", 3)
    assert res.exit_code == 0, res.output
    assert "taste" in res.output
    assert (tmp_path / "eval.html").read_text(encoding="utf-8").startswith("<!doctype")
    res = invoke("evaluate", DATA, "--model", trained, "--json", "-o", tmp_path / "eval.json")
    assert res.exit_code == 0
    data = json.loads((tmp_path / "eval.json").read_text(encoding="utf-8"))
    assert data["topics"]["micro_f1"] > 0.8  # its own training labels
    res = invoke("evaluate", DATA, "--model", trained, "-o", tmp_path / "eval.txt")
    assert res.exit_code == OutputError.exit_code and ".html or .json" in res.output
    res = invoke("evaluate", DATA, "--model", tmp_path / "nomodel")
    assert res.exit_code == 5
