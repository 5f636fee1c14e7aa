"""One monitoring cycle (``koubei run``): new reviews → scored → history → emerging → outputs → alerts.

    from koubei.monitor import load_config, run_once
    result = run_once(load_config("monitor.toml"))
    result.ingest.new_rows, [d.state for d in result.deliveries]

Steps, each safe to repeat:

1. **ingest** (:mod:`koubei.monitor.ingest`): the feed's new rows scored and appended to
   the history as a Parquet part;
2. **detect**, when the history changed since detection last finished (new rows, or a
   killed run's work): ``koubei emerging`` over the history, recorded in the issue store,
   then the issue lists and the HTML report rewritten;
3. **alerts** (:mod:`koubei.monitor.notify`): the new and escalated issues queued, once;
   the queue sent, with retries; what still fails stays queued for the next run.

A run with nothing new changes no file and sends nothing (but a queued alert that failed
before). Two runs on one history cannot overlap: the second stops with a StoreError.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from koubei.errors import KoubeiError, OutputError
from koubei.monitor.alerts import Delivery
from koubei.monitor.config import MonitorConfig
from koubei.monitor.ingest import Ingest, IngestResult, write_success
from koubei.monitor.notify import (
    Queued,
    enqueue,
    load_memory,
    messages_for,
    plan_alerts,
    queued,
    send_queued,
)
from koubei.monitor.state import MonitorState, open_state


@dataclass
class DetectOutcome:
    """What detection did: ``ran`` (False when the history had not changed), the windows it
    evaluated, issues it flagged, the current issues by status, files written, and the output
    errors (an output that could not be written is retried by the next run; alerts still go)."""

    ran: bool = False
    windows: list[str] = field(default_factory=list)
    flagged: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    outputs: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    """What one cycle did (the CLI renders it; nothing is printed here).

    ``seconds``: wall time of each step (``ingest``, ``detect`` with the outputs, ``alerts``).
    ``compacted``: the parts merged this run, as (merged part, its sources).
    """

    ingest: IngestResult
    detect: DetectOutcome
    queued: int
    deliveries: list[Delivery]
    dry_run: bool = False
    seconds: dict[str, float] = field(default_factory=dict)
    compacted: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def failed(self) -> list[Delivery]:
        """Alerts that could not be sent (kept for the next run)."""
        return [d for d in self.deliveries if d.state == "failed"]

    @property
    def sent(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.state == "sent"]


class ModelCache:
    """Models loaded once and kept (``koubei watch`` scores every cycle with the same one)."""

    def __init__(self, model: Any = None) -> None:
        self._given, self._loaded = model, {}  # type: ignore[var-annotated]

    def get(self, path: Path | None) -> Any:
        if self._given is not None:
            return self._given
        key = str(path) if path else ""
        if key not in self._loaded:
            from koubei.model.review_model import load_model

            self._loaded[key] = load_model(path)
        return self._loaded[key]

    def loaded(self, path: Path | None) -> Any:
        """The model if it was loaded, else None."""
        return self._given if self._given is not None else self._loaded.get(str(path) if path else "")


def run_once(cfg: MonitorConfig, *, dry_run: bool = False, lang: str | None = None, model: Any = None,
             models: ModelCache | None = None, progress: Callable[[int], None] | None = None,
             sleep: Callable[[float], None] | None = None, compact: bool = False) -> RunResult:
    """Run one monitoring cycle (see the module doc).

    Args:
        cfg: the config (:func:`koubei.monitor.load_config`).
        dry_run: send nothing and queue nothing; each alert that would go out comes back
            as a ``dry_run`` delivery with its payload. The history, issue store and outputs
            are updated as in a real run, so the next real run sends exactly those alerts.
        lang: ``zh`` or ``en`` for every alert (default: each channel's, else ``[alerts] lang``).
        model: a loaded model to score with (default: ``[model] path``, loaded when needed).
        models: a cache of loaded models kept between runs (``koubei watch``).
        progress: called with the number of rows scored after each batch.
        sleep: how to wait between retries (tests pass a no-op).
        compact: merge the history's small parts now (:mod:`koubei.monitor.compact`); without
            it they are merged when there are more than ``[history] compact_at``.

    Raises:
        StoreError: the history is in use by another run, or its manifest is damaged.
        InputError, ConfigError, OutputError, ModelNotFoundError: as the steps raise them.
    """
    cache = models or ModelCache(model)
    clock = _Clock()
    with open_state(cfg.state) as state:
        ingest = Ingest(cfg, state, lambda: cache.get(cfg.model.path), progress).run()
        due = compact or 0 < cfg.compact_at < ingest.history_parts
        compacted = _compact(cfg, state, ingest) if due else []
        clock.lap("ingest")
        detect = DetectOutcome()
        if ingest.history_parts and state.version("history_version") != state.version("detected_version"):
            detect = _detect(cfg, cache)
            if not detect.errors:
                with state.transaction():
                    state.set_meta("detected_version", str(state.version("history_version")))
        clock.lap("detect")
        issues = current_issues(cfg.store)
        detect.by_status = {str(k): int(v) for k, v in issues["status"].value_counts().items()}
        threshold = min([cfg.alerts.min_severity, *(c.min_severity for c in cfg.channels
                                                     if c.min_severity is not None)])
        # No channel, no memory kept: the first channel added hears of every active issue.
        plans, memory = plan_alerts(issues, load_memory(state), threshold=threshold,
                                    escalate_by=cfg.alerts.escalate_by) if cfg.channels else ([], {})
        messages = messages_for(plans, issues, taxonomy=_taxonomy(cfg, cache), teams=_teams(cfg),
                                report=cfg.alerts.report_url or (str(cfg.report) if cfg.report else None))
        muted = set(issues.loc[issues["status"] == "muted", "issue_id"].astype(str))
        added = 0
        if dry_run:
            items = queued(state) + [Queued(m.key, c.name, m.issue_id, m.to_json())
                                     for m in messages for c in cfg.channels]
        else:
            added = enqueue(state, messages, memory, cfg.channels, cfg.alerts.min_severity)
            items = queued(state)
        deliveries = send_queued(state, items, cfg.channels, settings=cfg.alerts, lang=lang, muted=muted,
                                 dry_run=dry_run, sleep=sleep)
        clock.lap("alerts")
    return RunResult(ingest=ingest, detect=detect, queued=added, deliveries=deliveries, dry_run=dry_run,
                     seconds=clock.laps, compacted=compacted)


def _compact(cfg: MonitorConfig, state: MonitorState, ingest: IngestResult) -> list[tuple[str, list[str]]]:
    """Merge the history's small parts (the rows do not change, so detection need not run again)."""
    from koubei.monitor.compact import compact

    merged = compact(state, cfg.history, max_rows=cfg.compact_rows)
    if merged:
        write_success(state, cfg.history)
        ingest.history_parts -= sum(len(sources) - 1 for _, sources in merged)
    return merged


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._t, 3)
        self._t = now


def _detect(cfg: MonitorConfig, cache: ModelCache) -> DetectOutcome:
    from koubei.detect.run import run_emerging

    d = cfg.detect
    run = run_emerging(cfg.history, None, freq=d.freq, by=d.by, store=cfg.store, windows=d.last,
                       config=d.emerging, novel=d.novel, model=cache.get(cfg.model.path) if d.novel else None,
                       trace_extra=d.trace, mask=d.mask, resolve_after=d.resolve_after, tz=cfg.input.tz,
                       engine=d.engine, scheduler=d.scheduler)
    out = DetectOutcome(ran=True, windows=[w for w, _ in run.result.evaluated],
                        flagged=int(run.issues["issue_id"].nunique()) if len(run.issues) else 0)
    for path in cfg.issues:
        _output(out, functools.partial(_export, cfg, path))
    if cfg.report is not None and _report_due(cfg.report, cfg.report_every):
        _output(out, functools.partial(_report, cfg))
    return out


def _report_due(path: Path, every: float | None) -> bool:
    """Whether the HTML report is to be written: every run with new rows, or once ``every`` seconds."""
    if every is None or not path.exists():
        return True
    return time.time() - path.stat().st_mtime >= every


def _output(out: DetectOutcome, write: Callable[[], list[Path]]) -> None:
    try:
        out.outputs += write()
    except (OutputError, OSError) as e:
        out.errors.append(str(e))


def _export(cfg: MonitorConfig, path: Path) -> list[Path]:
    from koubei.export import export_issues
    from koubei.export.columns import Lang

    lang: Lang = "en" if cfg.lang == "en" else "zh"
    return list(export_issues(cfg.store, path, lang=lang, overwrite=True, teams=cfg.teams).files)


def _report(cfg: MonitorConfig) -> list[Path]:
    from koubei.report import write_report

    assert cfg.report is not None
    kwargs: dict[str, Any] = {"by": cfg.detect.by} if cfg.detect.by else {}
    res = write_report(cfg.history, cfg.report, store=cfg.store, freq=cfg.detect.freq, overwrite=True,
                       tz=cfg.input.tz, **kwargs)
    return [res.output]


def current_issues(store: Path) -> pd.DataFrame:
    """``IssueStore.list()`` of the issue store (no rows when there is none yet)."""
    from koubei.store.history import LIST_COLUMNS, open_store

    if not store.exists():
        return pd.DataFrame(columns=list(LIST_COLUMNS))
    with open_store(store, create=False, read_only=True) as s:
        return s.list()


def _taxonomy(cfg: MonitorConfig, cache: ModelCache) -> Any:
    """The model's taxonomy (topic names in alerts), without loading the model when it is not loaded."""
    from koubei.taxonomy import load_taxonomy

    loaded = cache.loaded(cfg.model.path)
    if loaded is not None:
        return loaded.taxonomy
    bundled = cfg.model.path / "taxonomy.json" if cfg.model.path else None
    try:
        return load_taxonomy(bundled) if bundled is not None and bundled.is_file() else load_taxonomy()
    except KoubeiError:
        return load_taxonomy()


def _teams(cfg: MonitorConfig) -> Any:
    from koubei.export.teams import load_teams

    return load_teams(cfg.teams)
