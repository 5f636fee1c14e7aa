"""An issue's status and first window: the one definition every output reads.

``koubei emerging`` (its table in every format and its printed lines),
``koubei issues list``, ``koubei export`` (xlsx, csv, md, json) and
``koubei report`` all show an issue's ``status`` and ``first_window``; they get
them from :func:`issue_states`, over the recorded history of the issue's
frequency (the store's, or with no store the run's own windows):

- ``status`` is the issue's state **now**, after the latest evaluated window
  (:func:`walk_states`): ``new``, ``ongoing``, ``resolved``, or ``muted`` when a
  user muted it. Every row of an issue says the same, whichever window the row
  is about; the state in each flagged window is ``IssueStore.history()``'s.
- ``first_window`` is where the issue's **current episode** began: the
  earliest ``first_window`` detected (the start of the unbroken run of
  elevated windows before a flag, see :mod:`koubei.detect.issues`) among the
  flags since the issue last became ``new``. A flag after a resolution starts
  a new episode, so an issue that comes back does not keep an old start.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class IssueState:
    """An issue's status now and the first window of its current episode."""

    status: str
    first_window: str


def walk_states(evaluated: Sequence[str], flagged: Collection[str],
                resolve_after: int) -> tuple[dict[str, str], str]:
    """Derive an issue's state window by window.

    Args:
        evaluated: the evaluated window labels of one frequency, in time order.
        flagged: the labels of the windows the issue was flagged in.
        resolve_after: clean evaluated windows after the last flag that resolve it.

    Returns:
        The state in each flagged window (``new`` or ``ongoing``) and the state
        after the last evaluated window (``""`` when never flagged). An issue keeps
        its state through fewer than ``resolve_after`` clean windows.
    """
    at: dict[str, str] = {}
    state, clean = "", 0
    for window in evaluated:
        if window in flagged:
            state = "ongoing" if state in ("new", "ongoing") else "new"
            at[window], clean = state, 0
        elif state in ("new", "ongoing"):
            clean += 1
            if clean >= resolve_after:
                state = "resolved"
    return at, state


def issue_states(evaluated: Sequence[str], flags: Iterable[tuple[str, str, object]], resolve_after: int,
                 muted: Collection[str] = ()) -> dict[str, IssueState]:
    """The :class:`IssueState` of every issue flagged in one frequency's history.

    Args:
        evaluated: the evaluated window labels, in time order (flagged windows not
            among them are placed by their label, which sorts in time order).
        flags: ``(issue_id, window, first_window)`` of every flagged window; a
            missing first_window counts as the window itself.
        resolve_after: clean evaluated windows after the last flag that resolve an issue.
        muted: ids of muted issues (status ``muted``, first window from the history).
    """
    by_issue: dict[str, dict[str, str]] = {}
    for issue_id, window, first in flags:
        start = str(first) if isinstance(first, str) and first else str(window)
        by_issue.setdefault(str(issue_id), {})[str(window)] = start
    known = set(evaluated)
    windows = list(evaluated)
    extra = {w for f in by_issue.values() for w in f} - known
    if extra:
        windows = sorted([*windows, *extra])
    out: dict[str, IssueState] = {}
    for issue_id, starts in by_issue.items():
        at, status = walk_states(windows, starts, resolve_after)
        flagged = [w for w in windows if w in at]
        begin = max(i for i, w in enumerate(flagged) if at[w] == "new")
        first = min(starts[w] for w in flagged[begin:])
        out[issue_id] = IssueState("muted" if issue_id in muted else status, first)
    return out


def with_states(issues: pd.DataFrame, states: dict[str, IssueState], *, status: bool = True) -> pd.DataFrame:
    """``issues`` with each row's ``first_window`` (and ``status``) from its issue's state."""
    if not len(issues):
        return issues.assign(status=pd.Series(dtype=object)) if status else issues
    ids = issues["issue_id"].astype(str)
    out = issues.assign(first_window=ids.map(lambda i: states[i].first_window).to_numpy())
    return out.assign(status=ids.map(lambda i: states[i].status).to_numpy()) if status else out


def without_store(issues: pd.DataFrame, evaluated: Sequence[str], resolve_after: int = 2) -> pd.DataFrame:
    """``issues`` of a run that records nothing, with each issue's ``first_window`` from the run's
    own windows (``evaluated`` and its flags), so an issue flagged in several of them has one.

    No ``status`` is added: without a store there is no history to give one.
    """
    if not len(issues):
        return issues
    flags = zip(issues["issue_id"], issues["window"], issues["first_window"])
    return with_states(issues, issue_states(evaluated, flags, resolve_after), status=False)
