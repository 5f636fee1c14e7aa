"""Markdown cells and on-screen widths of the exported issue lists.

Formula-like text is defused where every writer defuses it, :mod:`koubei.io.cells`
(a leading apostrophe in CSV, Excel's quote prefix in xlsx).
"""

from __future__ import annotations

import unicodedata
from typing import Any

_MD_ESCAPES = str.maketrans({"\\": "\\\\", "|": "\\|", "`": "\\`", "*": "\\*", "_": "\\_",
                             "[": "\\[", "]": "\\]", "<": "&lt;", ">": "&gt;", "&": "&amp;"})


def md_cell(value: Any) -> str:
    """One Markdown table cell: pipes, markup and HTML escaped, line breaks as spaces."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return text.translate(_MD_ESCAPES)


def display_width(text: str) -> int:
    """Columns ``text`` takes on screen: wide (CJK) characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
