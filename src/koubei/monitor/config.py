"""The monitor's config file (TOML): what to read, how to score and detect, where to write, whom to tell.

    from koubei.monitor import load_config
    cfg = load_config("monitor.toml")      # ConfigError naming the key on any bad entry

Paths are relative to the config file's folder. Secrets (webhook URLs with their
tokens, signing secrets, SMTP passwords) are never in the file: the file names the
environment variables that hold them (``secret_env = "DINGTALK_SECRET"``), read here
once, kept as :class:`koubei.monitor._entries.Secret` (shown as ``***``).
``koubei init`` writes a commented template (:mod:`koubei.monitor.template`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from koubei.detect.config import EmergingConfig
from koubei.errors import ConfigError
from koubei.monitor._entries import Entries
from koubei.monitor.alerts import Channel, channel_from_entries

#: canonical column → the ``[input.columns]`` key naming its source column
COLUMN_KEYS: tuple[str, ...] = ("text", "id", "time", "product", "supplier", "batch", "rating", "channel")
ISSUE_FORMATS: tuple[str, ...] = ("xlsx", "csv", "md", "json")
LANGS: tuple[str, ...] = ("zh", "en")
TABLES: tuple[str, ...] = ("input", "model", "detect", "history", "store", "outputs", "alerts")


@dataclass(frozen=True)
class InputConfig:
    """Where the dumps come from and how to read them (the read options of ``koubei score``)."""

    paths: tuple[str, ...]
    columns: dict[str, str] = field(default_factory=dict)
    format: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    tz: str = "Asia/Shanghai"
    quoting: str = "standard"
    no_header: bool = False
    settle_seconds: float = 60.0

    def read_options(self) -> dict[str, Any]:
        """Keyword arguments of :class:`koubei.io.ReviewReader`."""
        cols = {f"{k}_col": v for k, v in self.columns.items()}
        return dict(fmt=self.format, encoding=self.encoding, sheet=self.sheet, tz=self.tz,
                    quoting=self.quoting, no_header=self.no_header, **cols)


@dataclass(frozen=True)
class ModelConfig:
    path: Path | None = None
    workers: int = 0
    batch_size: int = 2000
    chunksize: int = 50_000


@dataclass(frozen=True)
class DetectConfig:
    freq: str = "W"
    by: tuple[str, ...] = ()
    trace: tuple[str, ...] = ()
    last: int = 2
    novel: bool = True
    mask: bool = True
    resolve_after: int = 2
    emerging: EmergingConfig = field(default_factory=EmergingConfig)
    engine: str = "local"
    scheduler: str | None = None


@dataclass(frozen=True)
class AlertSettings:
    lang: str = "zh"
    min_severity: float = 0.0
    escalate_by: float = 10.0
    retries: int = 3
    backoff_seconds: float = 2.0
    timeout_seconds: float = 10.0
    report_url: str | None = None
    rate_wait_seconds: float = 120.0


@dataclass(frozen=True)
class MonitorConfig:
    """A validated config; every path absolute."""

    path: Path
    input: InputConfig
    model: ModelConfig
    detect: DetectConfig
    history: Path
    store: Path
    issues: tuple[Path, ...]
    report: Path | None
    lang: str
    alerts: AlertSettings
    channels: tuple[Channel, ...] = ()
    teams: Path | None = None
    report_every: float | None = None
    compact_at: int = 64
    compact_rows: int = 200_000

    @property
    def state(self) -> Path:
        """The monitor's own DuckDB file (manifest, alert log, outbox), inside the history folder."""
        return self.history / STATE_NAME


#: the manifest and outbox file, inside the history folder (Parquet readers skip ``_`` names)
STATE_NAME = "_monitor.duckdb"


def load_config(path: str | Path, *, env: Mapping[str, str] | None = None) -> MonitorConfig:
    """Read and check a monitor config file.

    Args:
        path: the TOML file.
        env: where the environment variables named in the file are read (default ``os.environ``).

    Raises:
        ConfigError: the file is missing or not TOML, or an entry is missing, unknown, of the
            wrong type or out of range, or names an environment variable that is not set;
            the message names the file, the table and the key.
    """
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such config file; write one with `koubei init {p}`") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{p}: cannot read it ({getattr(e, 'strerror', None) or e})") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p}: not valid TOML ({e})") from None
    top = Entries(raw, file=str(p), table="", env=env)
    top.taken.update(TABLES)  # an unknown table (a typo) is reported before anything else
    top.done()
    return _parse(top, p.resolve().parent, p)


def _parse(top: Entries, base: Path, path: Path) -> MonitorConfig:
    inp = _required_table(top, "input")
    history = _table(top, "history")
    store = _table(top, "store")
    outputs = _table(top, "outputs")
    alerts = _table(top, "alerts")
    lang = outputs.choice("lang", LANGS, "zh")
    settings = _alert_settings(alerts, lang)
    cfg = MonitorConfig(
        path=path.resolve(), input=_input(inp), model=_model(_table(top, "model"), base),
        detect=_detect(_table(top, "detect")),
        history=base / history.text("path", "koubei-history"),
        store=base / store.text("path", "koubei.duckdb"),
        issues=_issue_files(outputs, base), report=_optional_path(outputs, "report", base),
        lang=lang, alerts=settings, channels=_channels(alerts, settings.timeout_seconds, base),
        teams=_optional_path(outputs, "teams", base), report_every=_duration(outputs, "report_every"),
        compact_at=history.whole("compact_at", 64, min=0),
        compact_rows=history.whole("compact_rows", 200_000, min=1000),
    )
    for t in (inp, history, store, outputs, alerts):
        t.done()
    return cfg


def _table(top: Entries, key: str) -> Entries:
    found = top.table_of(key)
    return found if found is not None else Entries({}, file=top.file, table=key, env=top.env_vars)


def _required_table(top: Entries, key: str) -> Entries:
    found = top.table_of(key)
    if found is None:
        raise top.error(None, f"no [{key}] table; `koubei init` writes a config with every table")
    return found


def _optional_path(t: Entries, key: str, base: Path) -> Path | None:
    value = t.text(key, None)
    return None if value is None else base / value


def _duration(t: Entries, key: str) -> float | None:
    from koubei.monitor.watch import parse_interval

    value = t.text(key, None)
    try:
        return None if value is None else parse_interval(value)
    except ValueError as e:
        raise t.error(key, str(e)) from None


def _input(t: Entries) -> InputConfig:
    paths = t.strings("path")
    sheet = t.get("sheet", None)
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, str | int)):
        raise t.error("sheet", "must be a sheet name or a 0-based index")
    cols = t.table_of("columns")
    columns: dict[str, str] = {}
    if cols is not None:
        for key in COLUMN_KEYS:
            name = cols.text(key, None)
            if name is not None:
                columns[key] = name
        cols.done()
    return InputConfig(
        paths=paths, columns=columns, format=t.text("format", None), encoding=t.text("encoding", None),
        sheet=sheet, tz=_tz(t), quoting=t.choice("quoting", ("standard", "none"), "standard"),
        no_header=t.flag("no_header", False), settle_seconds=t.number("settle_seconds", 60.0, min=0),
    )


def _tz(t: Entries) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    tz = t.text("tz", "Asia/Shanghai")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise t.error("tz", f"unknown time zone {tz!r} (e.g. Asia/Shanghai)") from None
    return str(tz)


def _model(t: Entries, base: Path) -> ModelConfig:
    cfg = ModelConfig(path=_optional_path(t, "path", base), workers=t.whole("workers", 0, min=0),
                      batch_size=t.whole("batch_size", 2000, min=1),
                      chunksize=t.whole("chunksize", 50_000, min=100))
    t.done()
    return cfg


def _detect(t: Entries) -> DetectConfig:
    d = EmergingConfig()
    emerging = EmergingConfig(
        baseline_windows=t.whole("baseline_windows", d.baseline_windows, min=1),
        min_count=t.whole("min_count", d.min_count, min=1),
        max_q=t.number("max_q", d.max_q, min=0, max=1),
        min_lift=t.number("min_lift", d.min_lift, min=1),
    )
    engine = t.choice("engine", ("local", "dask"), "local")
    scheduler = t.text("scheduler", None)
    if scheduler is not None and engine != "dask":
        raise t.error("scheduler", 'needs engine = "dask"')
    cfg = DetectConfig(freq=t.choice("freq", ("D", "W", "M"), "W"), by=t.strings("by", ()),
                       trace=t.strings("trace", ()), last=t.whole("last", 2, min=1),
                       novel=t.flag("novel", True), mask=t.flag("mask", True),
                       resolve_after=t.whole("resolve_after", 2, min=1), emerging=emerging,
                       engine=engine, scheduler=scheduler)
    t.done()
    return cfg


def _issue_files(t: Entries, base: Path) -> tuple[Path, ...]:
    files = t.strings("issues", ("issues.xlsx",))
    out = []
    for name in files:
        suffix = Path(name).suffix.lower().lstrip(".")
        fmt = {"markdown": "md"}.get(suffix, suffix)
        if fmt not in ISSUE_FORMATS:
            raise t.error("issues", f"{name}: the issue list is written as "
                                    f"{', '.join('.' + f for f in ISSUE_FORMATS)}; give one of those")
        out.append(base / name)
    return tuple(out)


def _alert_settings(t: Entries, lang: str) -> AlertSettings:
    url = t.text("report_url", None)
    bad = url is not None and any(c in url for c in " ()[]<>\"'")
    if url is not None and (bad or not url.startswith(("http://", "https://"))):
        raise t.error("report_url", "must be an http(s) address where report.html is published "
                                    "(no spaces, brackets or quotes)")
    return AlertSettings(
        lang=t.choice("lang", LANGS, lang), min_severity=t.number("min_severity", 0.0, min=0, max=100),
        escalate_by=t.number("escalate_by", 10.0, min=0, max=100), retries=t.whole("retries", 3, min=0),
        backoff_seconds=t.number("backoff_seconds", 2.0, min=0, max=300),
        timeout_seconds=t.number("timeout_seconds", 10.0, min=0.1, max=300), report_url=url,
        rate_wait_seconds=t.number("rate_wait_seconds", 120.0, min=0, max=3600),
    )


def _channels(t: Entries, timeout: float, base: Path) -> tuple[Channel, ...]:
    """Every sub-table of ``[alerts]`` is a channel (``[alerts.dingtalk]``, ``[alerts.qa-team]``)."""
    out = []
    for name, value in t.raw.items():
        if not isinstance(value, dict):
            continue
        sub = t.table_of(name)
        assert sub is not None
        out.append(channel_from_entries(name, sub, timeout=timeout, base=base))
        sub.done()
    return tuple(out)
