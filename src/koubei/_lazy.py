"""Package re-exports imported on first use (PEP 562), so importing a package stays cheap.

A package's ``__init__`` re-exports its public names; importing all their modules
up front made ``import koubei.io.writers`` (or ``koubei --help``, which needs a few
enums and defaults) pull in pandas, scikit-learn and the whole model. Each such
package declares ``__getattr__ = lazy_exports(__name__, {name: module, ...})``,
with the same names under ``TYPE_CHECKING`` for type checkers.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` giving ``exports[name]``'s ``name``, imported when first asked for."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # the next lookup is a plain attribute
        return value

    return __getattr__
