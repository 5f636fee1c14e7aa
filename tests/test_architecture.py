"""The package's shape: the import contracts of pyproject.toml, no import cycle, no private names.

``lint-imports`` runs the same contracts in CI; running them here too means the
README's ``python -m pytest`` checks them wherever import-linter is installed
(``pip install -e ".[dev]"``).
"""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import koubei

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(koubei.__file__).resolve().parent
HAS_IMPORT_LINTER = importlib.util.find_spec("importlinter") is not None
needs_import_linter = pytest.mark.skipif(
    not HAS_IMPORT_LINTER, reason='import-linter is not installed: pip install -e ".[dev]"')


@needs_import_linter
def test_import_contracts_are_kept(capsys: pytest.CaptureFixture[str]) -> None:
    from importlinter.cli import lint_imports

    code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    assert code == 0, capsys.readouterr().out


@needs_import_linter
def test_no_module_is_in_an_import_cycle() -> None:
    """Stricter than the acyclic_siblings contract: a package's ``__init__`` and its own
    modules count too (``koubei.cli`` importing ``koubei.cli.issues`` importing ``koubei.cli``)."""
    import grimp

    graph = grimp.build_graph("koubei", cache_dir=None)
    cycles = sorted(
        f"{importer} -> {imported} -> ... -> {importer}"
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if graph.chain_exists(importer=imported, imported=importer)
    )
    assert not cycles, "\n".join(cycles)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _private_names(path: Path) -> list[str]:
    """``from koubei.x import _name`` where ``_name`` is not a module of ``koubei.x``, and
    ``module._name`` on an imported koubei module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: dict[str, str] = {}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update({a.asname or a.name.split(".")[0]: a.name for a in node.names
                            if a.name.split(".")[0] == "koubei"})
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "koubei":
            folder = PACKAGE.parent.joinpath(*node.module.split("."))
            for a in node.names:
                if (folder / f"{a.name}.py").exists() or (folder / a.name).is_dir():
                    modules[a.asname or a.name] = f"{node.module}.{a.name}"
                elif _private(a.name):
                    found.append(f"line {node.lineno}: from {node.module} import {a.name}")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in modules and _private(node.attr)):
            found.append(f"line {node.lineno}: {modules[node.value.id]}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names() -> None:
    found = {str(p.relative_to(PACKAGE.parent)): names
             for p in sorted(PACKAGE.rglob("*.py")) if (names := _private_names(p))}
    assert not found, found


def test_the_private_name_check_finds_one(tmp_path: Path) -> None:
    planted = tmp_path / "m.py"
    planted.write_text("from koubei.io.reader import _mapping\nimport koubei.io.reader as r\nr._GUESS_ROWS\n",
                       encoding="utf-8")
    assert _private_names(planted) == ["line 1: from koubei.io.reader import _mapping",
                                       "line 3: koubei.io.reader._GUESS_ROWS"]


def test_the_schema_module_is_a_leaf() -> None:
    """koubei.schema imports nothing of koubei and nothing heavy (pandas only for annotations),
    so every stage may use it; the layers contract keeps the rest of koubei out of it."""
    tree = ast.parse((PACKAGE / "schema.py").read_text(encoding="utf-8"))
    type_checking = [n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"]
    guarded = {id(n) for block in type_checking for n in ast.walk(block)}
    imports = [n for n in ast.walk(tree)
               if isinstance(n, ast.Import | ast.ImportFrom) and id(n) not in guarded]
    imported = {a.name if isinstance(n, ast.Import) else n.module for n in imports for a in n.names}
    assert imported == {"__future__", "typing"}, imported


def test_the_command_line_starts_without_the_heavy_libraries() -> None:
    """``koubei --help`` (which registers every command) and ``import koubei`` import no pandas,
    scikit-learn, scipy, pyarrow, duckdb or plotly: each command imports what it uses when it runs
    (start-up time: scripts/bench_score.py --mixed)."""
    heavy = ("pandas", "sklearn", "scipy", "pyarrow", "duckdb", "plotly", "jieba", "numpy")
    code = ("import sys, koubei, koubei.cli; "
            f"print(','.join(m for m in {heavy!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(PACKAGE.parent)})
    assert out.stdout.strip() == ""
