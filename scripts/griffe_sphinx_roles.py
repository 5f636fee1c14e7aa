"""Griffe extension for the docs site (mkdocs.yml): Sphinx roles in docstrings as code.

koubei's docstrings name other objects Sphinx-style (``:func:`koubei.io.read_reviews```,
``:mod:`~koubei.store.state```), which mkdocstrings would show as literal
``:func:``. This shows the target as inline code instead (``~`` keeps the last part).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:func|meth|mod|class|data|attr|obj|exc|const):`(~?)([^`]+)`")


def _code(m: re.Match[str]) -> str:
    target = m[2].split(".")[-1] if m[1] else m[2]
    return f"`{target}`"


class SphinxRoles(griffe.Extension):
    """Rewrite ``:role:`target``` as ```target``` in every docstring."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and ":`" in obj.docstring.value:
            obj.docstring.value = _ROLE.sub(_code, obj.docstring.value)
