"""Reading one table of a TOML config with checks: every error names the file, table and key.

    entries = Entries(raw["alerts"]["dingtalk"], file="monitor.toml", table="alerts.dingtalk")
    secret = entries.env("secret_env", required=False)
    entries.done()   # an unknown key (a typo) is an error too, with the close names

Library code: raises :class:`koubei.errors.ConfigError`, never prints.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from koubei.errors import ConfigError

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MISSING = object()


class Secret:
    """A value read from an environment variable; shown as ``***`` everywhere but :meth:`reveal`."""

    __slots__ = ("_value", "env")

    def __init__(self, value: str, env: str) -> None:
        self._value, self.env = value, env

    def reveal(self) -> str:
        """The secret itself: pass it to the platform, never to a message or a log."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret(env={self.env!r}, value='***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value and other.env == self.env

    def __hash__(self) -> int:
        return hash((self.env, self._value))


class Entries:
    """The entries of one TOML table, taken one by one with their checks.

    Args:
        raw: the table as ``tomllib`` parsed it.
        file: the config file's name, as messages start.
        table: the table's dotted name (``""`` for the top level).
        env: where environment variables are looked up (default ``os.environ``).
    """

    def __init__(self, raw: Any, *, file: str, table: str, env: Mapping[str, str] | None = None) -> None:
        self.file, self.table = file, table
        self.env_vars: Mapping[str, str] = os.environ if env is None else env
        if not isinstance(raw, dict):
            raise self.error(None, f"must be a table ([{table}]), not {_kind(raw)}")
        self.raw: dict[str, Any] = raw
        self.taken: set[str] = set()

    def error(self, key: str | None, problem: str) -> ConfigError:
        """A ConfigError ``FILE: [TABLE] KEY: problem``."""
        where = f"[{self.table}] " if self.table else ""
        return ConfigError(f"{self.file}: {where}{key + ': ' if key else ''}{problem}")

    def get(self, key: str, default: Any = _MISSING) -> Any:
        self.taken.add(key)
        if key in self.raw:
            return self.raw[key]
        if default is _MISSING:
            raise self.error(key, "is required")
        return default

    def text(self, key: str, default: Any = _MISSING) -> Any:
        """A non-empty string (or ``default`` when absent)."""
        value = self.get(key, default)
        if value is default and key not in self.raw:
            return value
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"must be a non-empty string, not {_kind(value)}")
        return value.strip()

    def choice(self, key: str, choices: Sequence[str], default: Any = _MISSING) -> Any:
        """One of ``choices`` (case-insensitive)."""
        value = self.text(key, default)
        if value is default and key not in self.raw:
            return value
        low = value.lower()
        for c in choices:
            if c.lower() == low:
                return c
        raise self.error(key, f"must be one of {', '.join(map(repr, choices))}, not {value!r}")

    def whole(self, key: str, default: Any = _MISSING, *, min: int | None = None) -> Any:
        """An integer, at least ``min``."""
        value = self.get(key, default)
        if value is default and key not in self.raw:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"must be a whole number, not {_kind(value)}")
        if min is not None and value < min:
            raise self.error(key, f"must be at least {min}, not {value}")
        return value

    def number(self, key: str, default: Any = _MISSING, *, min: float | None = None,
               max: float | None = None) -> Any:
        """A number in [``min``, ``max``]."""
        value = self.get(key, default)
        if value is default and key not in self.raw:
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"must be a number, not {_kind(value)}")
        if (min is not None and value < min) or (max is not None and value > max):
            span = f"between {min} and {max}" if min is not None and max is not None else \
                f"at least {min}" if min is not None else f"at most {max}"
            raise self.error(key, f"must be {span}, not {value}")
        return float(value)

    def flag(self, key: str, default: Any = _MISSING) -> Any:
        """``true`` or ``false``."""
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, not {_kind(value)}")
        return value

    def strings(self, key: str, default: Any = _MISSING, *, allow_one: bool = True) -> Any:
        """A list of non-empty strings; a single string counts as a list of one."""
        value = self.get(key, default)
        if value is default and key not in self.raw:
            return value
        if allow_one and isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(key, f"must be a list of non-empty strings, not {_kind(value)}")
        return tuple(v.strip() for v in value)

    def table_of(self, key: str) -> Entries | None:
        """The sub-table ``key`` as Entries, or None when absent."""
        value = self.get(key, None)
        if value is None:
            return None
        sub = f"{self.table}.{key}" if self.table else key
        return Entries(value, file=self.file, table=sub, env=self.env_vars)

    def env(self, key: str, *, required: bool = True) -> Secret | None:
        """The value of the environment variable named by ``key`` (``secret_env = "NAME"``).

        Raises:
            ConfigError: the name is missing (when required) or not a variable name, or the
                variable is not set or empty. The message names the variable, never its value.
        """
        name = self.get(key, _MISSING if required else None)
        if name is None:
            return None
        # The value is never echoed: a user may have pasted the secret or URL itself here.
        if not isinstance(name, str) or not _ENV_NAME.fullmatch(name) or _looks_secret(name):
            raise self.error(key, "must be the name of an environment variable (letters, digits and _, "
                                  "such as DINGTALK_SECRET); put the secret or URL itself in that "
                                  "variable, never in this file")
        value = self.env_vars.get(name, "")
        if not value.strip():
            raise self.error(key, f"environment variable {name} is not set")
        return Secret(value.strip(), name)

    def refuse(self, key: str, why: str) -> None:
        """An entry that must not be there (a secret written into the file)."""
        if key in self.raw:
            self.taken.add(key)
            raise self.error(key, why)

    def done(self) -> None:
        """Every entry was taken: an unknown key is an error naming the close known ones."""
        unknown = [k for k in self.raw if k not in self.taken]
        if unknown:
            key = unknown[0]
            close = difflib.get_close_matches(key, sorted(self.taken), n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else \
                f"; known: {', '.join(sorted(self.taken))}"
            raise self.error(key, f"unknown entry{hint}")


def _looks_secret(name: str) -> bool:
    """A "name" that is rather a pasted secret: long, or DingTalk's ``SEC`` + hex."""
    return len(name) > 48 or bool(re.fullmatch(r"SEC[0-9a-f]{16,}", name))


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value) if len(value) < 40 else "a string"
    return f"{type(value).__name__} {value!r}"
