"""Templating: Kestra's Pebble expressions, rendered on a Jinja2 sandbox.

Public API::

    render(template, context, *, services=None, location=None) -> str
    render_typed(expression, context, *, services=None, location=None) -> Any
    render_value(value, context, *, services=None, location=None) -> Any
    is_truthy(rendered) -> bool            # If / runIf / Fail / LoopUntil
    is_condition_true(rendered) -> bool    # Expression conditions
    TemplateServices                       # what secret()/kv()/read()... call

Errors are `tercel.errors.TemplateError` subclasses (`TemplateSyntaxError`,
`UndefinedVariableError`, `TemplateSecurityError`).
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
