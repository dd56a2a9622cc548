"""The layout holds: who may import whom, kpi/'s public surface, small modules, no shims of moved modules.

Rules (README, Architecture): connector/ and kpi/ import nothing of the other packages or of each other;
sandbox/ imports none of them; inside sync/, storage imports no other room, ingest neither kpi nor
writeback nor app, writeback neither ingest nor app; outside kpi/, code imports ``kpi`` itself, never one of
its modules (tests/kpi/, the unit tests of those modules, are the exception).
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = ("connector", "kpi", "sync", "sandbox", "bench")
MAX_LINES = 500


def _modules(folder: str) -> list[Path]:
    return sorted((REPO / folder).rglob("*.py"))


def _name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved, ``from a import b`` as ``a.b`` when b is one."""
    package = _name(path) if path.name == "__init__.py" else _name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                if importlib.util.find_spec(candidate.split(".")[0]) and _is_module(candidate):
                    found.add(candidate)
    return found


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ModuleNotFoundError, ValueError):
        return False


def _top(name: str) -> str:
    return name.split(".")[0]


FORBIDDEN = {  # package or room -> what it must not import
    "connector": ("sync", "kpi", "sandbox", "bench"),
    "kpi": ("sync", "connector", "sandbox", "bench"),
    "sandbox": ("sync", "kpi", "connector", "bench"),
    "sync.storage": ("sync.ingest", "sync.writeback", "sync.app", "connector", "kpi", "sandbox"),
    "sync.ingest": ("sync.writeback", "sync.app", "kpi", "sandbox"),
    "sync.writeback": ("sync.ingest", "sync.app", "sandbox"),
}


def _violations(owner: str, banned: tuple[str, ...]) -> list[str]:
    folder = owner.replace(".", "/")
    return [f"{_name(path)} imports {target}" for path in _modules(folder) for target in sorted(imports(path))
            if any(target == b or target.startswith(b + ".") for b in banned)]


@pytest.mark.parametrize("owner", FORBIDDEN)
def test_each_package_and_room_imports_only_what_it_may(owner):
    assert _violations(owner, FORBIDDEN[owner]) == []


def test_nothing_outside_kpi_imports_a_kpi_module():
    places = [p for folder in ("connector", "sync", "sandbox", "bench", "tests") for p in _modules(folder)
              if not p.is_relative_to(REPO / "tests" / "kpi")]
    found = [f"{_name(p)} imports {t}" for p in places for t in sorted(imports(p)) if t.startswith("kpi.")]
    assert found == []


def test_the_rule_checker_sees_a_violation(tmp_path):
    """The walk above would notice: a relative import two levels up, and a kpi internal by name."""
    module = REPO / "sync" / "storage" / "mirror.py"
    assert "sync.errors" in imports(module)
    assert any(t.startswith("kpi.") for t in imports(REPO / "tests" / "kpi" / "test_funnel.py"))


def test_kpi_exports_its_public_surface():
    import kpi

    assert sorted(kpi.__all__) == sorted(set(kpi.__all__))
    missing = [name for name in kpi.__all__ if not hasattr(kpi, name)]
    assert missing == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_is_over_500_lines(package):
    sizes = {_name(p): len(p.read_text(encoding="utf-8").splitlines()) for p in _modules(package)}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


@pytest.mark.parametrize("room", ["storage", "ingest", "writeback", "app"])
def test_each_room_says_what_it_owns_and_may_import(room):
    doc = ast.get_docstring(ast.parse((REPO / "sync" / room / "__init__.py").read_text(encoding="utf-8")))
    assert doc and "import" in doc


MOVED = ("sync.jobs", "sync.mirror", "sync.schema", "sync.lock", "sync.streams", "sync.mapping", "sync.cli",
         "sync.worker", "sync.health", "sync.logs", "sync.settings", "sync.dashboards", "sync.crm", "sync.runner",
         "sync.kpi_config", "sync.kpi_report", "sync.status", "sync.demo")


@pytest.mark.parametrize("name", MOVED)
def test_moved_modules_leave_no_shim_behind(name):
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(name)


def test_every_quick_module_exists():
    from tests.conftest import QUICK

    assert sorted(name for name in QUICK if not (REPO / "tests" / name).exists()) == []
