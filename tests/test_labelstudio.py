"""Label Studio: labelling config, tasks with pre-annotations, export import, malformed exports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from koubei.errors import LabelError, OutputError
from koubei.model.predict import Prediction
from koubei.taxonomy import load_taxonomy
from koubei.train import read_labels
from koubei.train.labelstudio import build_tasks, label_config, write_tasks

TAX = load_taxonomy()
PREDS = [
    Prediction("neg", 0.1, {"taste": "neg", "delivery_logistics": "pos"}, ["too_bland"]),
    Prediction("pos", 0.9, {"packaging": "pos"}),
    Prediction("neu", 0.5, {}),
]
TEXTS = ["送得很快，但是味道太淡了", "包装很严实", "东西收到了"]


def _export(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What Label Studio exports after annotators accepted every pre-annotation."""
    out = []
    for i, t in enumerate(tasks):
        out.append({"id": 100 + i, "data": t["data"], "predictions": t["predictions"],
                    "annotations": [{"id": i, "was_cancelled": False, "created_at": "2026-12-01T10:00:00Z",
                                     "result": t["predictions"][0]["result"]}]})
    return out


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_label_config_has_a_choices_block_per_topic() -> None:
    root = ET.fromstring(label_config(TAX))
    names = [c.get("name") for c in root.iter("Choices")]
    assert names == ["sentiment", *(f"topic_{t}" for t in TAX.topic_ids), "taste_detail"]
    taste = [c for c in root.iter("Choices") if c.get("name") == "taste_detail"][0]
    assert taste.get("whenTagName") == "topic_taste" and taste.get("whenChoiceValue") == "neg"
    assert {c.get("value") for c in taste} == set(TAX.direction_ids)
    assert all(c.get("toName") == "text" for c in root.iter("Choices"))


def test_tasks_carry_predictions_as_choices(tmp_path: Path) -> None:
    tasks = build_tasks(TEXTS, PREDS, ids=["a", "b", "c"], model_version="m1", scores=[0.9, 0.5, 0.1])
    first = tasks[0]
    assert first["data"] == {"text": TEXTS[0], "review_id": "a"}
    pred = first["predictions"][0]
    assert pred["model_version"] == "m1" and pred["score"] == 0.9
    items = {r["from_name"]: r["value"]["choices"] for r in pred["result"]}
    assert items == {"sentiment": ["neg"], "topic_taste": ["neg"], "topic_delivery_logistics": ["pos"],
                     "taste_detail": ["too_bland"]}
    assert all(r["type"] == "choices" and r["to_name"] == "text" for r in pred["result"])
    path, cfg = write_tasks(tmp_path / "tasks.json", tasks, TAX)
    assert cfg.name == "tasks.label_config.xml" and "<View>" in cfg.read_text(encoding="utf-8")
    with pytest.raises(OutputError, match="exists; pass --overwrite"):
        write_tasks(tmp_path / "tasks.json", tasks, TAX)


def test_export_import_round_trip(tmp_path: Path) -> None:
    tasks = build_tasks(TEXTS, PREDS, ids=["a", "b", "c"], model_version="m1")
    path = _write(tmp_path / "export.json", _export(tasks))
    records, report = read_labels(path, TAX)  # told from the content
    assert report.format == "labelstudio"
    assert [r.id for r in records] == ["a", "b", "c"]
    assert [r.topics for r in records] == [p.topics for p in PREDS]
    assert [r.sentiment for r in records] == [p.sentiment for p in PREDS]
    assert records[0].taste_detail == ("too_bland",)


def test_latest_annotation_wins_cancelled_and_empty_are_skipped(tmp_path: Path) -> None:
    def ann(when: str, choice: str, cancelled: bool = False) -> dict[str, Any]:
        item = {"from_name": "topic_taste", "to_name": "text", "type": "choices",
                "value": {"choices": [choice]}}
        return {"created_at": when, "was_cancelled": cancelled, "result": [item]}

    export = [{"id": 1, "data": {"text": "太咸了"},
               "annotations": [ann("2026-01-01", "pos"), ann("2026-02-01", "neg")]},
              {"id": 2, "data": {"text": "还没标"}, "annotations": []},
              {"id": 3, "data": {"text": "取消了"},
               "annotations": [ann("2026-01-01", "neg", cancelled=True)]}]
    records, report = read_labels(_write(tmp_path / "e.json", export), TAX, label_studio=True)
    assert [(r.text, r.topics) for r in records] == [("太咸了", {"taste": "neg"})]
    assert report.skipped == {"not annotated": 2}


def test_json_min_export(tmp_path: Path) -> None:
    export = [{"id": 7, "text": "包装破了", "sentiment": "neg", "topic_packaging": "neg"},
              {"id": 8, "text": "太淡了", "sentiment": "neg", "topic_taste": {"choices": ["neg"]},
               "taste_detail": {"choices": ["too_bland"]}}]
    records, _ = read_labels(_write(tmp_path / "min.json", export), TAX, label_studio=True)
    assert [r.topics for r in records] == [{"packaging": "neg"}, {"taste": "neg"}]
    assert records[1].taste_detail == ("too_bland",)


@pytest.mark.parametrize(("content", "match"), [
    ("{not json", "invalid JSON"),
    ('{"data": {"text": "x"}}', "a JSON list of tasks"),
    ('[{"data": {"txt": "x"}, "annotations": []}]', "task 1: 'data' must hold the review as 'text'"),
    ('[{"id": 5, "data": {"text": "x"}, "annotations": [{"result": [{"from_name": "topic_taste", '
     '"type": "labels", "value": {"labels": ["neg"]}}]}]}]',
     r"task 1 \(id 5\): result 'topic_taste' is not a choices"),
    ('[{"data": {"text": "x"}, "annotations": [{"result": [{"value": {}}]}]}]', "without 'from_name'"),
    ('[{"data": {"text": "x"}, "annotations": [{"result": [{"from_name": "topic_smell", "type": "choices", '
     '"value": {"choices": ["neg"]}}, {"from_name": "topic_taste", "type": "choices", '
     '"value": {"choices": ["neg"]}}]}]}]',
     r"'smell' \(task 1\)"),
    ('[1, 2]', "task 1 is not a JSON object"),
])
def test_malformed_exports(tmp_path: Path, content: str, match: str) -> None:
    p = tmp_path / "bad.json"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(LabelError, match=match):
        read_labels(p, TAX, label_studio=True)
