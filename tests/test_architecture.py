"""The layers of docs/architecture.md, held: what each package may import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package -> prefixes of modules it must never import (directly or under TYPE_CHECKING)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "bot/procedure": (
        "telegram",
        "sqlalchemy",
        "jinja2",
        "storage",
        "handlers",
        "bot.services",
        "bot.views",
        "bot.delivery",
        "bot.sandbox",
        "bot.config",
        "bot.app",
        "bot.webapp",
    ),
    "storage": (
        "telegram",
        "handlers",
        "bot.services",
        "bot.views",
        "bot.delivery",
        "bot.sandbox",
        "bot.app",
        "bot.webapp",
    ),
    "bot/views": (
        "telegram",
        "sqlalchemy",
        "storage",
        "handlers",
        "bot.services",
        "bot.delivery",
        "bot.sandbox",
        "bot.app",
        "bot.webapp",
    ),
    "bot/services": (
        "telegram",
        "handlers",
        "bot.delivery",
        "bot.sandbox",
        "bot.app",
        "bot.webapp",
    ),
    # The dashboard's server is as thin as the chat's handlers, for the web.
    "bot/webapp": (
        "telegram",
        "sqlalchemy",
        "storage",
        "handlers",
        "bot.delivery",
        "bot.sandbox",
        "bot.app",
    ),
    "bot/delivery": ("handlers", "bot.app", "bot.sandbox"),
    "handlers": ("sqlalchemy", "storage", "bot.delivery", "bot.app", "bot.sandbox"),
    # The emulator stands for Telegram: it knows nothing of Kesu.
    "bot/sandbox/emulator": (
        "storage",
        "handlers",
        "bot.procedure",
        "bot.services",
        "bot.views",
        "bot.delivery",
        "bot.app",
        "bot.config",
    ),
}
# Wiring may import everything, and nothing but wiring imports it. The sandbox
# (page, clock, demo company) wires Kesu to the emulator as bot/app.py wires it to Telegram.
WIRING = ("bot.app", "bot.cli", "bot.sandbox.page", "bot.sandbox.demo")
WIRING_FILES = ("bot/app.py", "bot/cli.py", "bot/sandbox/page.py", "bot/sandbox/demo.py")
# Private parts of libraries are not ours to import.
PRIVATE = ("telegram.ext._", "telegram._", "sqlalchemy.orm._")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _matches(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_layers_import_only_downwards(folder: str) -> None:
    assert _files(folder), folder
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _files(folder)
        for module in _imports(path)
        if any(_matches(module, prefix) for prefix in FORBIDDEN[folder])
    ]
    assert wrong == []


def _module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_modules_of_bot_import_in_no_circle() -> None:
    """A circle of imports (function-level ones too) means two modules are one: the step
    life and the plan's items were such a pair (issue 25, item 7)."""
    modules = {_module_of(path): path for path in _files("bot")}
    graph = {
        name: {m for m in (_imports(path)) if m in modules and m != name}
        for name, path in modules.items()
    }
    circles = []
    state: dict[str, int] = {}  # 1: being walked, 2: done

    def walk(name: str, trail: list[str]) -> None:
        state[name] = 1
        for other in sorted(graph[name]):
            if state.get(other) == 1:
                circles.append(" -> ".join([*trail[trail.index(other) :], other]))
            elif other not in state:
                walk(other, [*trail, other])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name, [name])
    assert circles == []


def test_nothing_imports_the_wiring_and_nothing_private() -> None:
    wrong = []
    for folder in ("bot", "handlers", "storage"):
        for path in _files(folder):
            if path.relative_to(ROOT).as_posix() in WIRING_FILES:
                continue
            for module in _imports(path):
                if any(_matches(module, w) for w in WIRING) or module.startswith(PRIVATE):
                    wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_no_step_id_outcome_or_status_is_a_literal_outside_the_domain() -> None:
    """The step table is the one source of the steps' vocabulary."""
    from bot.procedure.steps import STEP_IDS, ComplaintStatus, Outcome, StepStatus

    words = (
        set(STEP_IDS)
        | {o.value for o in Outcome}
        | {s.value for s in StepStatus}
        | {s.value for s in ComplaintStatus}
    )
    # The same words with another meaning, each in one place: the intake's Done
    # button code, the event-log action "closed", the sender's "skipped" row, the
    # complaint register of /export and the month-end register's notification.
    other_meanings = {
        ("bot/views/keyboards.py", "done"),
        ("handlers/intake.py", "done"),
        ("bot/services/step_life.py", "closed"),  # the event "closed"
        ("bot/views/labels.py", "closed"),
        ("bot/delivery/sender.py", "skipped"),
        ("handlers/exports.py", "register"),  # /export register: the complaint register
        ("storage/models.py", "register"),  # Purpose.REGISTER: the month-end register
    }
    wrong = []
    for folder in ("bot/services", "bot/views", "bot/delivery", "handlers", "storage"):
        for path in _files(folder):
            if "migrations" in path.parts:
                continue  # a migration records the values as they were
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docstrings = {
                id(node.body[0].value)
                for node in ast.walk(tree)
                if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
                and node.body
                and isinstance(node.body[0], ast.Expr)
                and isinstance(node.body[0].value, ast.Constant)
            }
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and node.value in words
                    and id(node) not in docstrings
                    and (path.relative_to(ROOT).as_posix(), node.value) not in other_meanings
                ):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
    assert wrong == []


def test_handlers_stay_thin() -> None:
    """Parse the update, call one service, render, reply: about 40 lines each at most."""
    long = []
    for path in _files("handlers"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 45:
                    long.append(f"{path.relative_to(ROOT)}:{node.name} {length} lines")
    assert long == []
