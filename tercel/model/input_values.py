"""Execution inputs: resolve the values given at start time (Kestra §2).

`resolve_inputs(flow, provided)` follows Kestra's algorithm: declared order, inputs with
`dependsOn` after their dependencies (and dropped when a dependency is disabled or the
condition is not exactly true), `defaults` for absent values, required checks, dotted ids
turned into nested maps, undeclared values ignored. Each value is typed by
`tercel.model.input_coercion.coerce_input`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tercel.errors import InputError
from tercel.model.flow import Flow
from tercel.model.input_coercion import (
    StoreFile,
    coerce_input,
    format_instant,
    input_text,
)
from tercel.model.inputs import Input, _templated

__all__ = [
    "InputProblem",
    "Render",
    "StoreFile",
    "check_inputs",
    "coerce_input",
    "format_instant",
    "nest",
    "resolve_inputs",
]

#: Renders a template expression to a typed value with the given context.
Render = Callable[[str, Mapping[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One input that could not be resolved, and why."""

    input_id: str
    message: str


def _ordered(declarations: Sequence[Input]) -> list[Input]:
    """Declared order, each input after the inputs it depends on (cycles are rejected at load)."""
    by_id = {declaration.key: declaration for declaration in declarations}
    ordered: list[Input] = []
    placed: set[str] = set()

    def place(declaration: Input, trail: frozenset[str]) -> None:
        if declaration.key in placed or declaration.key in trail:
            return
        for name in declaration.depends_on.inputs if declaration.depends_on else []:
            if name in by_id:
                place(by_id[name], trail | {declaration.key})
        placed.add(declaration.key)
        ordered.append(declaration)

    for declaration in declarations:
        place(declaration, frozenset())
    return ordered


def nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1}`` → ``{"a": {"b": 1}}`` (Kestra's flattenToNestedMap)."""
    nested: dict[str, Any] = {}
    for key, value in values.items():
        target = nested
        parts = key.split(".")
        for part in parts[:-1]:
            child = target.get(part)
            if not isinstance(child, dict):
                child = target[part] = {}
            target = child
        target[parts[-1]] = value
    return nested


def check_inputs(
    inputs: Flow | Sequence[Input],
    provided: Mapping[str, Any],
    *,
    render: Render | None = None,
    store_file: StoreFile | None = None,
    require: bool = True,
) -> tuple[dict[str, Any], list[InputProblem]]:
    """Resolve every input; return the (nested) values and every problem found.

    With `require` false a required input without a value is left null instead of being
    a problem (Kestra starts executions of Flow triggers with their inputs as given).
    """
    declarations = list(inputs.inputs) if isinstance(inputs, Flow) else list(inputs)
    flat: dict[str, Any] = {}
    disabled: set[str] = set()
    problems: list[InputProblem] = []
    for declaration in _ordered(declarations):
        key = declaration.key
        depends = declaration.depends_on
        if depends is not None:
            if any(name in disabled or name not in flat for name in depends.inputs):
                disabled.add(key)
                continue
            if depends.condition is not None and render is not None:
                context = {"inputs": nest({n: flat[n] for n in depends.inputs})}
                rendered = render(depends.condition, context)
                # Kestra wants exactly `true`; a renderer may hand back the text "true".
                if rendered is not True and str(rendered).strip().lower() != "true":
                    disabled.add(key)
                    continue
        value = provided.get(key)
        if value is None:
            value = declaration.defaults
            if render is not None and _templated(value):
                # Kestra 1.x renders defaults such as "{{ now() }}" at execution start.
                value = render(value, {"inputs": nest(flat)})
        if value is None:
            if declaration.required and require:
                problems.append(
                    InputProblem(
                        key,
                        f"Invalid input for `{key}`, missing required input, but received `null`",
                    )
                )
            flat[key] = None
            continue
        choices = _choices(declaration, flat, render)
        try:
            flat[key] = coerce_input(declaration, value, choices=choices, store_file=store_file)
        except InputError as error:
            problems.append(InputProblem(key, str(error)))
            flat[key] = None
    return nest(flat), problems


def _choices(
    declaration: Input, resolved: Mapping[str, Any], render: Render | None
) -> list[str] | None:
    expression = getattr(declaration, "expression", None)
    if expression is None or render is None:
        return None
    rendered = render(expression, {"inputs": nest(resolved)})
    if isinstance(rendered, str):
        try:
            rendered = json.loads(rendered)
        except json.JSONDecodeError:
            return [rendered]
    return [input_text(item) for item in rendered] if isinstance(rendered, list) else None


def resolve_inputs(
    inputs: Flow | Sequence[Input],
    provided: Mapping[str, Any],
    *,
    render: Render | None = None,
    store_file: StoreFile | None = None,
    require: bool = True,
) -> dict[str, Any]:
    """Typed, nested input values for a new execution; raise `InputError` naming every problem.

    `render(expression, context)` renders (typed) `dependsOn.condition`, SELECT
    `expression`s and templated `defaults`; without it, conditions are considered true and
    templated defaults are taken as written. `store_file(input, value)` stores
    a FILE input given as a local path or bytes and returns its ``kestra:///`` URI.
    """
    values, problems = check_inputs(
        inputs, provided, render=render, store_file=store_file, require=require
    )
    if problems:
        # Every wrong input at once, so a user fixes them in one go (`; ` keeps it one line).
        raise InputError("; ".join(problem.message for problem in problems))
    return values
