"""Plugins use only what `TaskContext` declares, so every context (runtime or test) serves them.

A task that reached past the contract (``getattr(ctx, "store", None)``) would work against
one context and silently lose a feature against another; these checks read the source of
`tercel/plugins/` and fail on any such access.
"""

from __future__ import annotations

import ast
from pathlib import Path

import tercel.plugins
from tercel.plugins.context import TaskContext
from tercel.runtime.task_context import RuntimeTaskContext
from tercel.testing import FakeTaskContext

PLUGINS = Path(tercel.plugins.__file__).parent
REFLECTION = {"getattr", "hasattr", "setattr", "delattr", "vars"}


def _declared(protocol: type) -> set[str]:
    """Every attribute, property and method a Protocol class declares."""
    names = set(getattr(protocol, "__annotations__", {}))
    names |= {name for name in vars(protocol) if not name.startswith("_")}
    return names


def _root_name(node: ast.expr) -> str | None:
    """``ctx`` for ``ctx``, ``ctx.logger``, ``ctx.logger.flush``..."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _context_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Parameters that hold a task context: annotated `TaskContext`, or ``ctx`` unannotated
    (a flowable's ``ctx: PlanContext`` is the engine's, not a task context)."""
    found = set()
    arguments = function.args
    for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
        annotation = ast.unparse(argument.annotation) if argument.annotation else ""
        if annotation.endswith("TaskContext") or (argument.arg == "ctx" and not annotation):
            found.add(argument.arg)
    return found


def _violations() -> list[str]:
    declared = _declared(TaskContext)
    found: list[str] = []
    for path in sorted(PLUGINS.rglob("*.py")):
        if path.name == "context.py" and path.parent == PLUGINS:
            continue  # the contract itself
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            names = _context_names(function)
            if not names:
                continue
            where = f"{path.relative_to(PLUGINS.parent)}:{{line}}"
            for node in ast.walk(function):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in REFLECTION
                    and node.args
                    and _root_name(node.args[0]) in names
                ):
                    found.append(
                        where.format(line=node.lineno) + f": {node.func.id}() on a task context"
                    )
                elif (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and node.value.id in names
                    and node.attr not in declared
                ):
                    found.append(
                        where.format(line=node.lineno)
                        + f": `{node.value.id}.{node.attr}` is not declared by TaskContext"
                    )
    return found


def test_plugins_read_only_what_the_task_context_declares() -> None:
    assert _violations() == []
    # The check sees the plugins: most of them take a task context.
    assert sum(1 for _ in PLUGINS.rglob("*.py")) > 50


def test_the_check_catches_a_plugin_that_reaches_for_the_store(tmp_path: Path) -> None:
    source = (
        "def run(ctx):\n"
        "    store = getattr(ctx, 'store', None)\n"
        "    return ctx.services, ctx.render('x')\n"
    )
    tree = ast.parse(source)
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    assert _context_names(function) == {"ctx"}
    calls = [n for n in ast.walk(function) if isinstance(n, ast.Call)]
    reflective = [c for c in calls if isinstance(c.func, ast.Name) and c.func.id in REFLECTION]
    assert len(reflective) == 1
    assert _root_name(reflective[0].args[0]) == "ctx"
    undeclared = [
        n.attr
        for n in ast.walk(function)
        if isinstance(n, ast.Attribute) and n.attr not in _declared(TaskContext)
    ]
    assert undeclared == ["services"]


def test_both_contexts_provide_every_declared_capability() -> None:
    for name in _declared(TaskContext):
        assert hasattr(RuntimeTaskContext, name) or name in {
            "tenant_id",
            "namespace",
            "flow_id",
            "execution_id",
            "task_id",
            "task_run_id",
            "attempt_number",
            "variables",
            "logger",
            "kv",
            "storage",
        }, name
    assert issubclass(FakeTaskContext, RuntimeTaskContext)
