"""The shape of the code: imports run downward only (app and pages -> ui -> storage -> optimizer), no module
imports itself round a cycle, SQL stays in storage/, and no page decides what a target kind means.

Imports are read from the source (every ``import``, also inside functions), not by importing it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"optimizer": 0, "storage": 1, "ui": 2, "app_pages": 3, "app": 3}

#: The command line is an application like the app: its backup and restore commands (and only they) use the
#: store, imported inside the command function so the library never loads it. No other optimizer module may.
CLI_APPLICATIONS = {"optimizer.cli.backup"}

#: Cycles that exist today in code other branches own, each with who cuts it. The last test fails
#: once an entry is no longer needed, so the list cannot outlive the cycle.
KNOWN_CYCLES: set[frozenset[str]] = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    files = [ROOT / "app.py", *[p for top in ("optimizer", "storage", "ui", "app_pages")
                                for p in sorted((ROOT / top).rglob("*.py"))]]
    return {_module_name(p): p for p in files}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``name`` imports (relative imports resolved; ``from pkg import mod`` counts mod)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            targets = [module, *[f"{module}.{alias.name}" for alias in node.names]]
        for target in targets:
            if target in known and target != name:
                out.add(target)
    return out


def _graph() -> dict[str, set[str]]:
    sources = _sources()
    known = set(sources)
    return {name: _imports(name, path, known) for name, path in sources.items()}


def _layer(module: str) -> int:
    return LAYERS[module.split(".")[0]]


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.add(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_imports_only_run_downward():
    upward = [f"{a} imports {b}" for a, targets in _graph().items() for b in targets if _layer(b) > _layer(a)
              and not (a in CLI_APPLICATIONS and b.split(".")[0] == "storage")]
    assert not upward, "\n".join(upward)


def test_the_cli_reaches_the_store_only_inside_its_backup_commands():
    """The one exception above imports ``storage`` inside a function, never at module level."""
    for name in CLI_APPLICATIONS:
        tree = ast.parse(_sources()[name].read_text(encoding="utf-8"))
        top = [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        assert not [line for line in top if "storage" in line], top
        assert any("storage" in ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)), name


def test_pages_use_the_ui_helpers_not_the_library_or_the_store():
    direct = [f"{a} imports {b}" for a, targets in _graph().items() if _layer(a) == 3
              for b in targets if _layer(b) < 2]
    assert not direct, "\n".join(direct)


def test_no_import_cycles():
    cycles = [c for c in _cycles(_graph()) if frozenset(c) not in KNOWN_CYCLES]
    assert not cycles, cycles


def test_the_known_cycles_still_exist():
    """When another branch cuts a known cycle, this fails: remove its entry from KNOWN_CYCLES."""
    present = {frozenset(c) for c in _cycles(_graph())}
    gone = [sorted(c) for c in KNOWN_CYCLES if c not in present]
    assert not gone, f"cycle(s) {gone} are gone: remove them from KNOWN_CYCLES"


def test_only_storage_talks_to_duckdb():
    users = [name for name, path in _sources().items() if not name.startswith("storage")
             and any(isinstance(n, (ast.Import, ast.ImportFrom)) and "duckdb" in ast.unparse(n)
                     for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))))]
    assert not users, users


#: Where a kind's name may be written: its own module, and the contract's list of names and messages.
KIND_NAME_HOMES = {"optimizer/program/kinds", "optimizer/data/schema.py", "optimizer/data/problems.py"}


@pytest.mark.parametrize("top", ["optimizer", "ui", "app_pages", "storage"])
def test_nothing_outside_the_kinds_tests_a_target_kind_by_name(top):
    """What a kind means lives in its module of optimizer/kinds/: no code elsewhere names a kind in a string."""
    import io
    import tokenize

    from optimizer.program.kinds import KINDS

    names = {repr(kind) for kind in KINDS} | {f'"{kind}"' for kind in KINDS}
    offenders = []
    for path in sorted((ROOT / top).rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        if any(where == home or where.startswith(home + "/") for home in KIND_NAME_HOMES):
            continue
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        offenders += [f"{where}:{token.start[0]}" for token in tokens
                      if token.type == tokenize.STRING and token.string in names]
    assert not offenders, offenders


def test_no_sys_path_hacks_in_the_product():
    offenders = [name for name, path in _sources().items() if "sys.path" in path.read_text(encoding="utf-8")]
    assert not offenders, offenders


def test_every_target_kind_of_the_contract_has_one_row_of_meaning():
    from optimizer.data.schema import TARGET_KINDS
    from optimizer.program.kinds import KINDS

    assert set(KINDS) == set(TARGET_KINDS)
    assert KINDS["benchmark_share_min"].format(0.6) == "60.0%"
    assert KINDS["min_line_capacity"].format(3.0) == "3"
    assert KINDS["benchmark_share_min"].clamp_value(1.4) == 1.0
    assert KINDS["min_line_capacity"].clamp_value(4000.0) == 4000.0


def test_the_console_entry_points_resolve():
    import importlib
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert set(scripts) == {"retrofit", "retrofit-app"}
    for target in scripts.values():
        module, _, function = target.partition(":")
        assert callable(getattr(importlib.import_module(module), function))
    from ui.launch import command

    run = command(["--server.port", "8502"])
    assert run[:2] == ["streamlit", "run"] and Path(run[2]) == ROOT / "app.py" and run[3:] == ["--server.port", "8502"]


#: The library's wings, lowest first: a module imports only from its own wing and those below it.
WINGS = ["data", "program", "solving", "answers", "outputs", "cli"]


def _wing(module: str) -> int | None:
    parts = module.split(".")
    return WINGS.index(parts[1]) if parts[0] == "optimizer" and len(parts) > 1 and parts[1] in WINGS else None


def test_the_library_s_wings_import_downhill_only():
    """data → program → solving → answers → outputs → cli: no arrow runs back up (the package root only re-exports)."""
    upward = [f"{a} imports {b}" for a, targets in _graph().items() for b in targets
              if (here := _wing(a)) is not None and (there := _wing(b)) is not None and there > here]
    assert not upward, "\n".join(upward)


def test_every_library_module_lives_in_a_wing():
    loose = [name for name in _sources() if name.startswith("optimizer.") and _wing(name) is None
             and name != "optimizer.__main__"]
    assert not loose, loose


def test_no_pages_folder_beside_the_app():
    """Streamlit 1.67 keeps a process with a ``pages/`` folder beside app.py in legacy multipage mode until
    st.navigation first runs: a deep link on a fresh server shows "Page not found", and a link matching a file
    name runs that page without app.py, i.e. without the login gate. The pages live in app_pages/."""
    assert not (ROOT / "pages").exists(), "rename pages/ to app_pages/ (see the docstring)"
    assert (ROOT / "app_pages").is_dir()
