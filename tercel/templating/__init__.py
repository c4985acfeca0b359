"""Templating: Kestra's Pebble expressions, rendered on a Jinja2 sandbox.

Public API::

    render(template, context, *, services=None, location=None) -> str
    render_typed(expression, context, *, services=None, location=None) -> Any
    render_value(value, context, *, services=None, location=None) -> Any
    is_truthy(rendered) -> bool            # If / runIf / Fail / LoopUntil
    is_condition_true(rendered) -> bool    # Expression conditions
    TemplateServices                       # what secret()/kv()/read()... call

Errors are `tercel.errors.TemplateError` subclasses (`TemplateSyntaxError`,
`UndefinedVariableError`, `TemplateSecurityError`); `location` labels them.
Static checks of a flow's templates: `tercel.templating.references.check_flow`.

Modules: `environment` (the sandbox), `syntax` (Pebble grammar on Jinja's lexer/parser/
code generator), `operators` (Pebble operator semantics), `undefined` (strict errors),
`output` (how values print), `rendering` (the API and caches), `state`/`limits` (per-render
budget and caps), `functions`, `recursive` (render/renderOnce), `calendar`, `filters/*`,
`predicates` (tests), `methods` (Java-like methods), `dates`/`dateparse`/`javapattern`
(Java date patterns), `numberformat`, `serialize` (YAML/Ion), `patterns` (regex with a
timeout), `jqrun` (jq, guarded), `services`, `truth`, `references`.

Known differences from Kestra: dates default to UTC and print English names only; Jinja's
``x if c else y`` and ``in`` also work; ``http()``, ``isPublicHoliday()``, ``block()``,
``parent()`` and ``i18n()`` are not available; Python-style negative indexes are allowed.
"""

from __future__ import annotations

from tercel.templating.rendering import has_template, render, render_typed, render_value
from tercel.templating.services import NoServices, TemplateServices
from tercel.templating.truth import is_condition_true, is_truthy

__all__ = [
    "NoServices",
    "TemplateServices",
    "has_template",
    "is_condition_true",
    "is_truthy",
    "render",
    "render_typed",
    "render_value",
]
