"""Emerging issues: complaint keys rising in a window, tested, traced, summarized.

:func:`find_emerging` takes a scored frame (see
:func:`koubei.aggregate.scored.load_scored`) and returns one row per issue
with the columns of :data:`koubei.schema.ISSUE_COLUMNS`. Per window it tests every
complaint key (13 topics and the taste directions) in every cell of every
level (everything, then each prefix of ``by``: supplier, supplier × product),
controls the false-discovery rate (Benjamini–Hochberg) over those with enough
complaints to be flagged (``min_count``: independent filtering), and
keeps the most specific explanation: a flagged key whose excess is mostly
that of a flagged finer cell or a flagged taste direction is folded into it.

The tests read only counts: :func:`detect_emerging` counts the rows
(:mod:`koubei.detect.counts`), tests and folds here, then asks the rows for
the flagged issues' evidence (:mod:`koubei.detect.evidence`), wherever the
rows are (:mod:`koubei.detect.source`: a frame, or a Parquet dataset on Dask).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from koubei.aggregate.scored import check_group_columns
from koubei.aggregate.stats import bh_qvalues
from koubei.aggregate.windows import Freq, parse_freq, season_lag, window_label
from koubei.detect.config import EmergingConfig
from koubei.detect.counts import Cubes, cubes_of, no_times
from koubei.detect.cube import Cube
from koubei.detect.hits import Hit
from koubei.detect.issues import IssueBuilder
from koubei.detect.keys import complaint_keys
from koubei.detect.rise import RiseParams, rise_at
from koubei.detect.source import FrameRows, ScoredRows
from koubei.detect.trace import trace_candidates
from koubei.errors import ColumnError
from koubei.schema import ISSUE_COLUMNS
from koubei.taxonomy import Taxonomy, load_taxonomy

Windows = str | int | Sequence[str]


@dataclass
class EmergingResult:
    """What :func:`find_emerging` found and what it looked at.

    Attributes:
        issues: the issue table (columns ``koubei.schema.ISSUE_COLUMNS``).
        freq: the window frequency.
        evaluated: (label, start) of each window evaluated, oldest first.
        tested: cell × key × window combinations tested.
        rows: rows read.
        counted: countable reviews (scored, not templated, not repeated).
        no_time: countable reviews left out for want of a parseable time.
        no_time_ids: the first of their review_ids.
        window_totals: countable reviews per window start, every window from the first to the last.
    """

    issues: pd.DataFrame
    freq: Freq
    evaluated: list[tuple[str, pd.Timestamp]]
    tested: int
    rows: int
    counted: int
    no_time: int
    no_time_ids: list[str] = field(default_factory=list)
    window_totals: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))


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
        source: how messages name the data.

    Returns:
        The issues and what was looked at.

    Raises:
        ColumnError: no time column / no parseable time, a missing grouping column, or an
            unknown window label.
    """
    return detect_emerging(FrameRows(frame, source), freq=freq, by=by, taxonomy=taxonomy, config=config,
                           windows=windows, trace_extra=trace_extra, mask=mask)


def detect_emerging(rows: ScoredRows, *, freq: str | Freq = "W", by: Sequence[str] = (),
                    taxonomy: Taxonomy | None = None, config: EmergingConfig | None = None,
                    windows: Windows = "last", trace_extra: Sequence[str] = (),
                    mask: bool = True) -> EmergingResult:
    """:func:`find_emerging` of rows wherever they are (:mod:`koubei.detect.source`).

    The rows are counted once (per level cell × window × key), every test and
    the folding run on those counts here, and then only the flagged issues'
    evidence (trace counts, review_ids, quote texts) is read back.
    """
    cfg = config or EmergingConfig()
    tax = taxonomy or load_taxonomy()
    f, levels = parse_freq(freq), _levels(tuple(by))
    _check_columns(rows.template, list(by), rows.name)
    keys = complaint_keys(rows.template, tax)
    candidates = trace_candidates(tuple(trace_extra))
    counts = rows.counts(freq=f, levels=levels, keys=keys, trace_candidates=candidates)
    cubes = cubes_of(counts, freq=f, levels=levels, keys=keys, source=rows.name)
    evaluated = _evaluated(cubes, windows)
    params = _params(cfg, f)
    hits: list[Hit] = []
    tested = 0
    for t in evaluated:
        found, n = _flag_window(cubes, t, params, cfg)
        tested += n
        hits += _fold(found, cubes, cfg)
    builder = IssueBuilder(cubes, [c for c in candidates if c in counts.with_values], tax, cfg, mask)
    evidence = rows.evidence([builder.request(h) for h in hits], f) if hits else []
    issues = pd.DataFrame([builder.build(h, e) for h, e in zip(hits, evidence)], columns=list(ISSUE_COLUMNS))
    issues = issues.sort_values(["window_start", "severity"], ascending=[True, False], kind="stable")
    return EmergingResult(
        issues=issues.reset_index(drop=True), freq=f,
        evaluated=[(str(window_label(cubes.index[t], f)), cubes.index[t]) for t in evaluated],
        tested=tested, rows=counts.rows, counted=counts.counted, no_time=counts.no_time,
        no_time_ids=[rid for _, rid in counts.no_time_ids], window_totals=cubes.window_totals,
    )


def _levels(by: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Everything, then each prefix of ``by``."""
    return [by[:i] for i in range(len(by) + 1)]


def _check_columns(template: pd.DataFrame, by: list[str], source: str) -> None:
    check_group_columns(template, by, source)
    if "time" not in template.columns:
        raise no_times(source)


def _evaluated(cubes: Cubes, windows: Windows) -> list[int]:
    n = len(cubes.index)
    if windows == "last":
        return [n - 1]
    if windows == "all":
        return list(range(1, n)) or [0]
    if isinstance(windows, int):
        return list(range(max(0, n - windows), n))
    labels = [str(window_label(s, cubes.freq)) for s in cubes.index]
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


def _flag_window(cubes: Cubes, t: int, params: RiseParams, cfg: EmergingConfig) -> tuple[list[Hit], int]:
    """The window's flagged hits and its key-windows tested (cells × keys with reviews).

    Independent filtering (Bourgon et al. 2010): only key-cells that could be flagged --
    ``min_count`` complaints in the window or in the pooled drift windows, a floor that
    does not look at the baseline or the p-value -- enter the window's Benjamini–Hochberg
    family. A cell with two complaints can never be flagged, so counting it only
    diluted the others' q-values (the hotpot bench tests about 190 key-cells a month).
    The lift gate and the drift's "every window up" stay as
    they were: a test failing them keeps p = 1 inside the family. Both engines flag here.
    """
    prior = _prior(cubes.cubes[0], t)
    hits: list[Hit] = []
    n_tested = 0
    for li, cube in enumerate(cubes.cubes):
        r = rise_at(cube, t, prior, params, cfg.min_lift)
        with np.errstate(invalid="ignore", divide="ignore"):
            lift_s = np.where(r.total > 0, r.count / r.total, 0) / np.maximum(r.baseline_rate, 1e-9)
            d0 = r.drift_baseline_rate
            lift_d = r.drift_rate / np.maximum(d0, 1e-9)
        floor_s, floor_d = r.count >= cfg.min_count, r.drift_count >= cfg.min_count
        ok_s = floor_s & (lift_s >= cfg.min_lift)
        ok_d = floor_d & r.drift_sustained & (lift_d >= cfg.min_lift)
        tested = r.total > 0
        n_tested += int(tested.sum())
        ps = np.where(ok_s, r.p_spike, 1.0)
        pdr = np.where(ok_d, r.p_drift, 1.0)
        for c, k in zip(*np.nonzero(tested & (floor_s | floor_d))):
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


def _fold(hits: list[Hit], cubes: Cubes, cfg: EmergingConfig) -> list[Hit]:
    """Drop hits mostly explained by a flagged finer cell or a flagged taste direction."""
    keep = []
    for a in hits:
        finer = [b for b in hits if b is not a and _refines(b, a, cubes)]
        if not finer or max(b.excess for b in finer) < cfg.fold_share * a.excess:
            keep.append(a)
    return keep


def _refines(b: Hit, a: Hit, cubes: Cubes) -> bool:
    """Is ``b`` the same or a finer key in the same or a finer cell than ``a`` (and not equal)?"""
    ka, kb = cubes.keys[a.key], cubes.keys[b.key]
    if not (kb == ka or kb.parent == ka) or b.level < a.level:
        return False
    if kb == ka and b.level == a.level:
        return False
    cell_a = cubes.cubes[a.level].cell_value(a.cell)
    cell_b = cubes.cubes[b.level].cell_value(b.cell)
    return all(cell_b.get(col) == val for col, val in cell_a.items())
