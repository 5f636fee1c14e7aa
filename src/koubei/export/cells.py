"""Making cell text safe to open: no formulas in spreadsheets, no markup in Markdown.

Formula injection (CSV injection): text that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return (or their full-width forms ``＝ ＋ － ＠``) can
be run as a formula when a spreadsheet opens the file. In CSV such text gets a
leading apostrophe, as OWASP recommends; in xlsx it is written as a string cell
with Excel's own "quote prefix" flag (what Excel sets when you type ``'=...``),
so it shows unchanged and stays text even when edited.
"""

from __future__ import annotations

import unicodedata
from typing import Any

FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_MD_ESCAPES = str.maketrans({"\\": "\\\\", "|": "\\|", "`": "\\`", "*": "\\*", "_": "\\_",
                             "[": "\\[", "]": "\\]", "<": "&lt;", ">": "&gt;", "&": "&amp;"})


def looks_like_formula(value: Any) -> bool:
    """True for text a spreadsheet could take for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def defuse(value: Any) -> Any:
    """CSV: prefix formula-like text with an apostrophe; other values unchanged."""
    return "'" + value if looks_like_formula(value) else value


def md_cell(value: Any) -> str:
    """One Markdown table cell: pipes, markup and HTML escaped, line breaks as spaces."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return text.translate(_MD_ESCAPES)


def display_width(text: str) -> int:
    """Columns ``text`` takes on screen: wide (CJK) characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
