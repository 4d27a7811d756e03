"""The import rules of docs/architecture.md, read from the source: imports point down the pipeline.

Every `import` counts, at module level or inside a function, except those under `if TYPE_CHECKING:` (annotations
only, never executed).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "sqlmon"

# The commands at the top: what starts a run. Nothing else may import the runner or the CLI.
COMMANDS = {"sqlmon.cli", "sqlmon.__main__", "sqlmon.demo", "sqlmon.dbt.build", "sqlmon.api"}


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(path): path for path in PACKAGE.rglob("*.py")}


def _imports(path: Path) -> set[str]:
    """The sqlmon modules `path` imports (a `from package import name` counts as the module `name` if it is one)."""
    me = _name(path)
    here = me.split(".") if path.name == "__init__.py" else me.split(".")[:-1]
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if me == "sqlmon" and isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
                # the package re-exports the API on first use (PEP 562): importing the package, as every module
                # does for `__version__`, does not import the API, which is a way in at the top like the CLI
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
                names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            else:
                names = []
            for name in names:
                while name and name not in MODULES:
                    name = name.rpartition(".")[0]
                if name and name != me:
                    found.add(name)
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    visit([child])

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return found


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _importers(target: str) -> set[str]:
    return {
        name for name, imported in GRAPH.items() if any(i == target or i.startswith(target + ".") for i in imported)
    }


def test_the_graph_was_read():
    assert len(GRAPH) > 50 and "sqlmon.runner" in GRAPH["sqlmon.cli"]


def test_no_module_imports_one_that_imports_it_back():
    seen: dict[str, int] = {}  # 1: on the current path, 2: done

    def walk(name: str, path: list[str]) -> None:
        seen[name] = 1
        for imported in sorted(GRAPH[name]):
            assert seen.get(imported) != 1, "import cycle: " + " -> ".join([*path, name, imported])
            if imported not in seen:
                walk(imported, [*path, name])
        seen[name] = 2

    for name in sorted(GRAPH):
        if name not in seen:
            walk(name, [])


def test_only_the_commands_at_the_top_import_the_runner_and_the_cli():
    assert _importers("sqlmon.runner") <= COMMANDS
    assert _importers("sqlmon.cli") == {"sqlmon.__main__"}


def test_notifiers_are_reached_through_the_registry_by_the_cli_alone():
    outside = {name for name in _importers("sqlmon.notify") if not name.startswith("sqlmon.notify")}
    assert outside == {"sqlmon.cli", "sqlmon.runner"}
    # the run's notify stage, after the store: the dispatcher alone, which finds the channels by their entry points;
    # configuration knows only the channels' settings (sqlmon.config.channels)
    assert {name for name in GRAPH["sqlmon.runner"] if name.startswith("sqlmon.notify")} == {"sqlmon.notify.dispatch"}


def test_configuration_never_imports_an_engine():
    config = {name for name in GRAPH if name.startswith("sqlmon.config")}
    assert not {name for name in _importers("sqlmon.engines") if name in config}


def test_monitor_kinds_rules_statistics_and_sql_know_nothing_of_the_run():
    run = ("sqlmon.runner", "sqlmon.plan", "sqlmon.compute", "sqlmon.judge", "sqlmon.store", "sqlmon.session")
    low = [n for n in GRAPH if n.startswith(("sqlmon.monitors", "sqlmon.rules", "sqlmon.stats", "sqlmon.sql"))]
    assert {name: sorted(GRAPH[name] & set(run)) for name in low if GRAPH[name] & set(run)} == {}
