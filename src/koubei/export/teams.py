"""Suggested owner teams: a versioned mapping file, topic (or taste direction) → team.

The default is ``corpora/teams.yaml``; its header comment documents the format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from koubei.errors import InputError
from koubei.export.columns import Lang
from koubei.resources import corpora_path

Team = tuple[str, str]  # (zh, en)


@dataclass(frozen=True)
class Teams:
    """Topic → team and taste direction → team, with a default team."""

    default: Team
    topics: Mapping[str, Team] = field(default_factory=dict)
    directions: Mapping[str, Team] = field(default_factory=dict)
    source: str = "<memory>"

    def team(self, topic: str, direction: str = "", lang: Lang = "zh") -> str:
        """The suggested team of an issue: by direction, else by topic, else the default."""
        pair = self.directions.get(direction) or self.topics.get(topic) or self.default
        return pair[0] if lang == "zh" else pair[1]


def default_teams_path() -> Path:
    """The shipped ``corpora/teams.yaml``."""
    return corpora_path("teams.yaml")


def load_teams(path: str | Path | None = None) -> Teams:
    """Read a teams file (YAML or JSON).

    Raises:
        InputError: the file is missing, not YAML, or an entry is malformed
            (the message names it).
    """
    import yaml

    p = Path(path) if path else default_teams_path()
    if not p.is_file():
        raise InputError(f"teams file not found: {p}; pass --teams FILE (format: see corpora/teams.yaml)")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise InputError(f"{p}: cannot read the teams file ({e}); it must be UTF-8 YAML or JSON") from None
    return teams_from_dict(raw, source=str(p))


def teams_from_dict(raw: Any, *, source: str = "<memory>") -> Teams:
    """Validate plain data (as read from a teams file) into :class:`Teams`.

    Raises:
        InputError: not a mapping with ``default``, or a team that is not a
            string or ``{zh, en}`` mapping.
    """
    if not isinstance(raw, dict) or "default" not in raw:
        raise InputError(f"{source}: a teams file is a mapping with a 'default' team "
                         "(and 'topics', optionally 'directions'); see corpora/teams.yaml")
    return Teams(
        default=_team(raw["default"], f"{source}: default"),
        topics=_section(raw, "topics", source),
        directions=_section(raw, "directions", source),
        source=source,
    )


def _section(raw: dict[str, Any], name: str, source: str) -> dict[str, Team]:
    entries = raw.get(name) or {}
    if not isinstance(entries, dict):
        raise InputError(f"{source}: '{name}' must map ids to teams, got {type(entries).__name__}")
    return {str(k): _team(v, f"{source}: {name}.{k}") for k, v in entries.items()}


def _team(value: Any, where: str) -> Team:
    if isinstance(value, str) and value.strip():
        return value.strip(), value.strip()
    if isinstance(value, dict) and isinstance(value.get("zh"), str) and value["zh"].strip():
        zh = value["zh"].strip()
        en = value.get("en")
        return zh, en.strip() if isinstance(en, str) and en.strip() else zh
    raise InputError(f"{where}: a team is a name or {{zh: 中文名, en: English name}}, got {value!r}")
