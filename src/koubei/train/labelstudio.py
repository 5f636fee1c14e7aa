"""Label Studio: read its JSON export, write tasks pre-filled with the model's predictions.

The labelling config koubei assumes (:func:`label_config` writes it for a
taxonomy; ``write_tasks`` saves it beside the tasks file as
``<tasks>.label_config.xml``; paste it into the project's *Labeling Interface*)::

    <View>
      <Text name="text" value="$text"/>
      <Header value="整体情感 sentiment"/>
      <Choices name="sentiment" toName="text" choice="single-radio" showInline="true">
        <Choice value="pos"/><Choice value="neg"/><Choice value="neu"/>
      </Choices>
      <Header value="口味 taste"/>
      <Choices name="topic_taste" toName="text" choice="single-radio" showInline="true">
        <Choice value="pos"/><Choice value="neg"/><Choice value="neu"/>
      </Choices>
      ... one ``topic_<id>`` block per topic ...
      <Choices name="taste_detail" toName="text" choice="multiple" showInline="true"
               visibleWhen="choice-selected" whenTagName="topic_taste" whenChoiceValue="neg">
        <Choice value="too_bland"/> ...
      </Choices>
    </View>

A topic left without a choice is not mentioned. Each result item is
``{"from_name": "topic_taste", "to_name": "text", "type": "choices",
"value": {"choices": ["neg"]}}``; the export is a list of tasks
``{"id", "data": {"text", ...}, "annotations": [{"result": [...]}], "predictions": [...]}``.
The latest annotation that was not cancelled counts; tasks without one are skipped.
Label Studio's JSON-MIN export (flat objects with ``text``, ``sentiment``,
``topic_<id>``) is read too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from koubei.errors import LabelError, OutputError
from koubei.model.predict import Prediction
from koubei.schema import TOPIC_PREFIX
from koubei.taxonomy import Taxonomy
from koubei.train.label_file import LabelReport, RawLabel

_META = frozenset({"id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time",
                   "text", "review_id"})


# -- import -------------------------------------------------------------------------------------

def read_export(path: Path, report: LabelReport) -> list[RawLabel]:
    """RawLabels of a Label Studio JSON (or JSON-MIN) export.

    Raises:
        LabelError: not JSON, not a list of tasks, a task without text, or a
            result item that is not a choices result.
    """
    try:
        tasks = json.loads(path.read_text(encoding="utf-8-sig"))
    except ValueError as e:
        raise LabelError(f"{path}: not a Label Studio JSON export: invalid JSON ({e})") from e
    if not isinstance(tasks, list):
        raise LabelError(f"{path}: a Label Studio export is a JSON list of tasks, got "
                         f"{type(tasks).__name__}; export the project as JSON")
    report.rows = len(tasks)
    out = []
    for i, task in enumerate(tasks):
        where = f"task {i + 1}"
        if not isinstance(task, dict):
            raise LabelError(f"{path}: {where} is not a JSON object")
        if "id" in task:
            where += f" (id {task['id']})"
        raw = _from_task(path, where, task) if "data" in task else _from_min(path, where, task)
        if raw is None:
            report.skipped["not annotated"] = report.skipped.get("not annotated", 0) + 1
        else:
            out.append(raw)
    return out


def _from_task(path: Path, where: str, task: dict[str, Any]) -> RawLabel | None:
    data = task["data"]
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise LabelError(f"{path}: {where}: 'data' must hold the review as 'text'")
    annotations = task.get("annotations") or task.get("completions") or []
    if not isinstance(annotations, list):
        raise LabelError(f"{path}: {where}: 'annotations' must be a list")
    done = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
    if not done:
        return None
    latest = max(done, key=lambda a: str(a.get("updated_at") or a.get("created_at") or ""))
    result = latest.get("result") if isinstance(latest, dict) else None
    if not isinstance(result, list):
        raise LabelError(f"{path}: {where}: annotation has no 'result' list")
    choices = {}
    for item in result:
        name, values = _choices_item(path, where, item)
        choices[name] = values
    rid = str(data.get("review_id") or task.get("id") or "")
    return _raw(where, rid, data["text"], choices)


def _choices_item(path: Path, where: str, item: Any) -> tuple[str, list[str]]:
    if not isinstance(item, dict) or "from_name" not in item:
        raise LabelError(f"{path}: {where}: result item without 'from_name': {str(item)[:80]}")
    value = item.get("value")
    if not isinstance(value, dict) or item.get("type", "choices") != "choices" \
            or not isinstance(value.get("choices"), list):
        raise LabelError(f"{path}: {where}: result '{item['from_name']}' is not a choices result "
                         "(value.choices); use the labelling config koubei writes (label_config.xml)")
    return str(item["from_name"]), [str(c) for c in value["choices"]]


def _from_min(path: Path, where: str, task: dict[str, Any]) -> RawLabel | None:
    text = task.get("text")
    if not isinstance(text, str):
        raise LabelError(f"{path}: {where}: no 'data' and no 'text': not a Label Studio task")
    choices = {}
    for k, v in task.items():
        if k in _META:
            continue
        if isinstance(v, dict) and "choices" in v:
            v = v["choices"]
        choices[k] = [str(x) for x in v] if isinstance(v, list) else [str(v)]
    if not choices:
        return None
    return _raw(where, str(task.get("review_id") or task.get("id") or ""), text, choices)


def _raw(where: str, rid: str, text: str, choices: dict[str, list[str]]) -> RawLabel:
    raw = RawLabel(where=where, id=rid, text=text)
    for name, values in choices.items():
        if name == "sentiment":
            raw.sentiment = values[0] if values else ""
        elif name == "taste_detail":
            raw.taste_detail = values
        else:  # topic_<id>; anything else is reported as an unknown topic label
            raw.topics[name.removeprefix(TOPIC_PREFIX)] = values[0] if values else ""
    return raw


# -- export -------------------------------------------------------------------------------------

def label_config(taxonomy: Taxonomy) -> str:
    """The Label Studio labelling config XML for a taxonomy (see the module docstring)."""
    pols = "".join(f'<Choice value="{p}"/>' for p in taxonomy.polarities)
    lines = ["<View>", '  <Text name="text" value="$text"/>',
             '  <Header value="整体情感 sentiment"/>',
             f'  <Choices name="sentiment" toName="text" choice="single-radio" showInline="true">'
             f"{pols}</Choices>"]
    for t in taxonomy.topics:
        lines += [f'  <Header value="{escape(t.zh)} {t.id}"/>',
                  f'  <Choices name="{TOPIC_PREFIX}{t.id}" toName="text" choice="single-radio" '
                  f'showInline="true">{pols}</Choices>']
    if taxonomy.taste_topic and taxonomy.taste_directions:
        dirs = "".join(f'<Choice value="{d.id}" hint="{escape(d.zh)}"/>' for d in taxonomy.taste_directions)
        lines += ['  <Header value="口味问题 taste_detail"/>',
                  f'  <Choices name="taste_detail" toName="text" choice="multiple" showInline="true" '
                  f'visibleWhen="choice-selected" whenTagName="{TOPIC_PREFIX}{taxonomy.taste_topic}" '
                  f'whenChoiceValue="neg">{dirs}</Choices>']
    lines.append("</View>")
    return "\n".join(lines) + "\n"


def prediction_result(p: Prediction) -> list[dict[str, Any]]:
    """Label Studio ``result`` items (type ``choices``) of one prediction."""
    items = [("sentiment", [p.sentiment])]
    items += [(TOPIC_PREFIX + t, [pol]) for t, pol in p.topics.items()]
    if p.taste_detail:
        items.append(("taste_detail", list(p.taste_detail)))
    return [{"id": f"r{k}", "from_name": name, "to_name": "text", "type": "choices",
             "value": {"choices": values}} for k, (name, values) in enumerate(items)]


def build_tasks(texts: Sequence[str], preds: Sequence[Prediction], *, ids: Sequence[str],
                model_version: str, scores: Sequence[float] | None = None,
                extra: Sequence[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Tasks whose ``predictions`` pre-fill the annotators' choices.

    Args:
        scores: a per-task score Label Studio shows and sorts by (e.g. uncertainty).
        extra: more ``data`` fields per task (reason, cluster...).
    """
    tasks = []
    for k, (text, p) in enumerate(zip(texts, preds)):
        data = {"text": text, "review_id": ids[k], **(extra[k] if extra else {})}
        pred: dict[str, Any] = {"model_version": model_version, "result": prediction_result(p)}
        if scores is not None:
            pred["score"] = round(float(scores[k]), 4)
        tasks.append({"data": data, "predictions": [pred]})
    return tasks


def config_path(tasks_path: Path) -> Path:
    """Where the labelling config goes: ``tasks.json`` → ``tasks.label_config.xml``."""
    return tasks_path.with_name(tasks_path.stem + ".label_config.xml")


def check_tasks_output(path: str | Path, overwrite: bool = False) -> tuple[Path, Path]:
    """Fail before any work when the tasks file or its config cannot be written.

    Raises:
        OutputError: either exists without ``overwrite``, or the folder is missing.
    """
    dest = Path(path)
    cfg = config_path(dest)
    for target in (dest, cfg):
        if target.exists() and not overwrite:
            raise OutputError(f"{target} exists; pass --overwrite to replace it")
    if not dest.parent.is_dir():
        raise OutputError(f"directory {dest.parent} does not exist")
    return dest, cfg


def write_tasks(path: str | Path, tasks: list[dict[str, Any]], taxonomy: Taxonomy, *,
                overwrite: bool = False) -> tuple[Path, Path]:
    """Write tasks (JSON) and the labelling config beside them, each atomically.

    Returns:
        The tasks path and the config path.

    Raises:
        OutputError: as :func:`check_tasks_output`.
    """
    dest, cfg = check_tasks_output(path, overwrite)
    write_text(dest, json.dumps(tasks, ensure_ascii=False, indent=1))
    write_text(cfg, label_config(taxonomy))
    return dest, cfg


def write_text(target: Path, text: str) -> None:
    """Write UTF-8 text atomically (temporary file, then rename)."""
    from koubei.io.writers import atomic_write

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    atomic_write(target, write)
