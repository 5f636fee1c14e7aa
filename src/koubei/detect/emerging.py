"""Emerging issues: complaint keys rising in a window, tested, traced, summarized.

:func:`find_emerging` takes a scored frame (see
:func:`koubei.aggregate.scored.load_scored`) and returns one row per issue
with the columns of :mod:`koubei.detect.schema`. Per window it tests every
complaint key (13 topics and the taste directions) in every cell of every
level (everything, then each prefix of ``by``: supplier, supplier × product),
controls the false-discovery rate over all of them (Benjamini–Hochberg), and
keeps the most specific explanation: a flagged key whose excess is mostly
that of a flagged finer cell or a flagged taste direction is folded into it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from koubei.aggregate.scored import check_group_columns, countable
from koubei.aggregate.stats import bh_qvalues
from koubei.aggregate.windows import Freq, parse_freq, season_lag, window_label, window_range, window_start
from koubei.detect.cube import Cube, build_cube
from koubei.detect.issues import IssueBuilder
from koubei.detect.keys import Key, complaint_keys, key_matrix
from koubei.detect.rise import RiseParams, rise_at
from koubei.detect.schema import ISSUE_COLUMNS
from koubei.errors import ColumnError
from koubei.taxonomy import Taxonomy, load_taxonomy

Windows = str | int | Sequence[str]


@dataclass(frozen=True)
class EmergingConfig:
    """Detection settings; the defaults are the ones ``scripts/bench_emerging.py`` measured.

    Attributes:
        baseline_windows: past windows the current one is compared with.
        drift_windows: windows pooled by the drift test.
        min_count: complaints a cell needs in the window (or pooled drift windows) to be flagged.
        min_lift: rate / baseline rate needed to be flagged.
        max_q: false-discovery rate (Benjamini–Hochberg q) at which a rise is flagged.
        prior_strength: pseudo-reviews shrinking a cell's baseline toward the key's overall rate.
        max_dispersion: cap on the over-dispersion factor.
        seasonal: also compare with the same season a year earlier (when history has it).
        fold_share: a flagged key folds into a finer flagged one holding this share of its excess.
        trend_windows: windows in the trend series.
        n_quotes: representative quotes per issue.
    """

    baseline_windows: int = 8
    drift_windows: int = 3
    min_count: int = 5
    min_lift: float = 1.5
    max_q: float = 0.05
    prior_strength: float = 20.0
    max_dispersion: float = 10.0
    seasonal: bool = True
    fold_share: float = 0.5
    trend_windows: int = 12
    n_quotes: int = 3


@dataclass
class EmergingResult:
    """What :func:`find_emerging` found and what it looked at."""

    issues: pd.DataFrame
    freq: Freq
    evaluated: list[tuple[str, pd.Timestamp]]
    tested: int
    rows: int
    counted: int
    no_time: int
    no_time_ids: list[str] = field(default_factory=list)


@dataclass
class _Setup:
    frame: pd.DataFrame
    freq: Freq
    index: pd.DatetimeIndex
    wpos: np.ndarray
    keys: list[Key]
    matrix: np.ndarray
    cubes: list[Cube]
    no_time: np.ndarray


def find_emerging(frame: pd.DataFrame, *, freq: str | Freq = "W", by: Sequence[str] = (),
                  taxonomy: Taxonomy | None = None, config: EmergingConfig | None = None,
                  windows: Windows = "last", trace_extra: Sequence[str] = (), mask: bool = True,
                  source: str = "the scored file") -> EmergingResult:
    """Flag complaint keys whose share rose significantly, per window.

    Args:
        frame: a scored frame with a ``time`` column.
        freq: window length D, W (Monday-start weeks) or M.
        by: grouping columns, coarse to fine (``["supplier", "product"]``).
        taxonomy: names and taste directions (default: the bundled taxonomy).
        config: detection settings.
        windows: ``"last"`` (the latest window with reviews), ``"all"``, the last N windows
            as an int, or window labels (``["2026-W47"]``).
        trace_extra: more attribute columns to trace over.
        mask: mask personal data in quotes.

    Raises:
        ColumnError: no time column / no parseable time, a missing grouping column, or an
            unknown window label.
    """
    cfg = config or EmergingConfig()
    tax = taxonomy or load_taxonomy()
    setup = _prepare(frame, parse_freq(freq), tuple(by), tax, source)
    evaluated = _evaluated(setup, windows)
    params = _params(cfg, setup.freq)
    builder = IssueBuilder(setup.frame, setup.cubes, setup.wpos, setup.index, setup.freq,
                           setup.matrix, setup.keys, tax, cfg, tuple(trace_extra), mask)
    rows: list[dict[str, object]] = []
    tested = 0
    for t in evaluated:
        found, n = _flag_window(setup, t, params, cfg)
        tested += n
        rows += [builder.build(hit) for hit in _fold(found, setup, cfg)]
    issues = pd.DataFrame(rows, columns=list(ISSUE_COLUMNS))
    issues = issues.sort_values(["window_start", "severity"], ascending=[True, False], kind="stable")
    ids = setup.frame.loc[setup.no_time, "review_id"].astype(str).tolist()
    return EmergingResult(
        issues=issues.reset_index(drop=True), freq=setup.freq,
        evaluated=[(str(window_label(setup.index[t], setup.freq)), setup.index[t]) for t in evaluated],
        tested=tested, rows=len(frame), counted=int((setup.wpos >= 0).sum()),
        no_time=int(setup.no_time.sum()), no_time_ids=ids[:20],
    )


def issue_id(freq: Freq, key: Key, cell: dict[str, str]) -> str:
    """Stable id of a key in a cell: the same across runs and windows."""
    raw = json.dumps([freq.value, key.name, sorted(cell.items())], ensure_ascii=False)
    return "KB-" + hashlib.sha1(raw.encode("utf-8")).hexdigest()[:10]


def _prepare(frame: pd.DataFrame, freq: Freq, by: tuple[str, ...], tax: Taxonomy, source: str) -> _Setup:
    check_group_columns(frame, list(by), source)
    if "time" not in frame.columns or not frame["time"].notna().any():
        raise ColumnError(
            f"{source}: emerging needs review times and there are none; score the dump with "
            "--time-col COLUMN (koubei aggregate works without times)"
        )
    ok = countable(frame).to_numpy()
    starts = window_start(frame["time"], freq)
    no_time = ok & starts.isna().to_numpy()
    live = ok & ~no_time
    index = window_range(starts[live].min(), starts[live].max(), freq)
    wpos = np.where(live, index.get_indexer(pd.DatetimeIndex(starts.where(live))), -1)
    keys = complaint_keys(frame, tax)
    matrix = key_matrix(frame, keys) * live[:, None]
    levels = [by[:i] for i in range(len(by) + 1)]
    cubes = [build_cube(frame, lv, wpos, matrix, len(index)) for lv in levels]
    return _Setup(frame, freq, index, wpos, keys, matrix, cubes, no_time)


def _evaluated(setup: _Setup, windows: Windows) -> list[int]:
    n = len(setup.index)
    if windows == "last":
        return [n - 1]
    if windows == "all":
        return list(range(1, n)) or [0]
    if isinstance(windows, int):
        return list(range(max(0, n - windows), n))
    labels = [str(window_label(s, setup.freq)) for s in setup.index]
    unknown = [w for w in windows if w not in labels]
    if unknown:
        raise ColumnError(
            f"no window {', '.join(unknown)} in the data; windows run {labels[0]} to {labels[-1]}"
        )
    return sorted(labels.index(w) for w in windows)


def _params(cfg: EmergingConfig, freq: Freq) -> RiseParams:
    half = {Freq.D: 3, Freq.W: 1, Freq.M: 0}[freq]
    lag = season_lag(freq) if cfg.seasonal else 10**9
    return RiseParams(baseline=cfg.baseline_windows, drift=cfg.drift_windows, season_lag=lag,
                      season_halfwidth=half, prior_strength=cfg.prior_strength,
                      max_dispersion=cfg.max_dispersion)


@dataclass
class Hit:
    """One flagged key in one cell and window, before it becomes an issue row."""

    t: int
    level: int
    cell: int
    key: int
    test: str
    count: float
    total: float
    baseline_rate: float
    p: float
    q: float = 1.0

    @property
    def expected(self) -> float:
        return self.total * self.baseline_rate

    @property
    def excess(self) -> float:
        return max(self.count - self.expected, 0.0)


def _flag_window(setup: _Setup, t: int, params: RiseParams, cfg: EmergingConfig) -> tuple[list[Hit], int]:
    prior = _prior(setup.cubes[0], t)
    hits: list[Hit] = []
    n_tested = 0
    for li, cube in enumerate(setup.cubes):
        r = rise_at(cube, t, prior, params, cfg.min_lift)
        with np.errstate(invalid="ignore", divide="ignore"):
            lift_s = np.where(r.total > 0, r.count / r.total, 0) / np.maximum(r.baseline_rate, 1e-9)
            d0 = r.drift_baseline_rate
            lift_d = r.drift_rate / np.maximum(d0, 1e-9)
        ok_s = (r.count >= cfg.min_count) & (lift_s >= cfg.min_lift)
        ok_d = (r.drift_count >= cfg.min_count) & r.drift_sustained & (lift_d >= cfg.min_lift)
        tested = r.total > 0
        n_tested += int(tested.sum())
        ps = np.where(ok_s, r.p_spike, 1.0)
        pdr = np.where(ok_d, r.p_drift, 1.0)
        for c, k in zip(*np.nonzero(tested)):
            spike = ps[c, k] <= pdr[c, k]
            p = min(1.0, 2 * min(ps[c, k], pdr[c, k]))
            if spike:
                hits.append(Hit(t, li, int(c), int(k), "spike", r.count[c, k], r.total[c, k],
                                float(r.baseline_rate[c, k]), p))
            else:
                hits.append(Hit(t, li, int(c), int(k), "drift", r.drift_count[c, k],
                                r.drift_total[c, k], float(d0[c, k]), p))
    if not hits:
        return [], n_tested
    q = bh_qvalues(np.array([h.p for h in hits]))
    for h, qv in zip(hits, q):
        h.q = float(qv)
    return [h for h in hits if h.q <= cfg.max_q and h.p < 1.0], n_tested


def _prior(overall: Cube, t: int) -> np.ndarray:
    """Each key's rate over all reviews before window ``t`` (a weak start where there are none)."""
    n_all, c_all = overall.span(0, overall.totals.shape[1])
    rate_all = (c_all[0] + 0.5) / (n_all[0] + 1.0)
    n, c = overall.span(0, t)
    return np.asarray((c[0] + rate_all) / (n[0] + 1.0))


def _fold(hits: list[Hit], setup: _Setup, cfg: EmergingConfig) -> list[Hit]:
    """Drop hits mostly explained by a flagged finer cell or a flagged taste direction."""
    keep = []
    for a in hits:
        finer = [b for b in hits if b is not a and _refines(b, a, setup)]
        if not finer or max(b.excess for b in finer) < cfg.fold_share * a.excess:
            keep.append(a)
    return keep


def _refines(b: Hit, a: Hit, setup: _Setup) -> bool:
    """Is ``b`` the same or a finer key in the same or a finer cell than ``a`` (and not equal)?"""
    ka, kb = setup.keys[a.key], setup.keys[b.key]
    if not (kb == ka or kb.parent == ka) or b.level < a.level:
        return False
    if kb == ka and b.level == a.level:
        return False
    cell_a = setup.cubes[a.level].cell_value(a.cell)
    cell_b = setup.cubes[b.level].cell_value(b.cell)
    return all(cell_b.get(col) == val for col, val in cell_a.items())
