"""The ``render()`` and ``renderOnce()`` template functions.

``render(x)`` renders `x` again with the current context until it stops changing (at most
`limits.MAX_RENDER_PASSES` passes); ``render(x, recursive=false)`` and ``renderOnce(x)``
render one extra pass. As in Kestra, ``{% raw %}`` blocks survive every pass and lose their
tags only at the end. Nesting (``render`` of a value that calls ``render``...) is bounded by
`limits.MAX_RENDER_DEPTH`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from tercel.errors import TemplateError, TemplateSecurityError
from tercel.templating import limits, state

_RAW_RE = re.compile(r"\{%-*\s*raw\s*-*%\}(.*?)\{%-*\s*endraw\s*-*%\}", re.DOTALL)


def _render_pass(text: str, variables: Mapping[str, Any]) -> str:
    """One pass, raw blocks (tags included) kept verbatim."""
    from tercel.templating.rendering import has_template, render_in_state

    if not has_template(text):
        return text
    kept: dict[str, str] = {}

    def stash(match: re.Match[str]) -> str:
        token = f"tercelraw{secrets.token_hex(8)}"
        kept[token] = match[0]
        return token

    rendered = render_in_state(_RAW_RE.sub(stash, text), variables)
    for token, block in kept.items():
        rendered = rendered.replace(token, block)
    return rendered


def render_string(text: str, variables: Mapping[str, Any], recursive: bool) -> str:
    """Render `text` once or until a fixpoint, then drop the raw tags."""
    if "{" not in text:
        return text
    current = _render_pass(_checked(text), variables)
    passes = 1
    while recursive and current != text:
        if passes > limits.MAX_RENDER_PASSES:
            raise TemplateError("Too many rendering attempts")
        budget = state.current().budget
        if budget is not None:
            budget.spend(1)  # also checks the render's deadline
        text, current = current, _render_pass(_checked(current), variables)
        passes += 1
    return _RAW_RE.sub(lambda match: match[1], current)


def _checked(text: str) -> str:
    if len(text) > limits.MAX_NESTED_TEMPLATE_LENGTH:
        raise TemplateSecurityError(
            f"render() was given {len(text)} characters to render again "
            f"(limit {limits.MAX_NESTED_TEMPLATE_LENGTH})"
        )
    return text


def render_object(value: Any, variables: Mapping[str, Any], recursive: bool) -> Any:
    """Strings rendered; maps (keys and values) and lists rendered element-wise."""
    if isinstance(value, str):
        return render_string(value, variables, recursive)
    if isinstance(value, Mapping):
        result: dict[Any, Any] = {}
        for key, item in value.items():
            rendered_key = render_object(key, variables, recursive)
            result.setdefault(rendered_key, render_object(item, variables, recursive))
        return result
    if isinstance(value, (list, tuple)):
        return [render_object(item, variables, recursive) for item in value]
    return value


def _variables(context: Context) -> dict[str, Any]:
    env_globals = context.environment.globals
    return {
        name: value
        for name, value in context.get_all().items()
        if not (name in env_globals and env_globals[name] is value)
    }


_MISSING: Any = object()


@pass_context
def render_function(context: Context, toRender: Any = _MISSING, recursive: Any = True) -> Any:  # noqa: N803
    """``render(x)``: render a value that itself holds expressions."""
    if toRender is _MISSING:
        raise TemplateError("The 'render' function expects an argument 'toRender'.")
    if not isinstance(recursive, bool):
        raise TemplateError(
            "The 'render' function expects an optional argument 'recursive' with type boolean."
        )
    if toRender is None:
        return None
    if state.current().depth >= limits.MAX_RENDER_DEPTH:
        raise TemplateSecurityError(
            f"render() is nested more than {limits.MAX_RENDER_DEPTH} levels deep"
        )
    with state.nested():
        return render_object(toRender, _variables(context), recursive)


@pass_context
def render_once_function(context: Context, toRender: Any = _MISSING) -> Any:  # noqa: N803
    """``renderOnce(x)``: one extra rendering pass."""
    return render_function(context, toRender, False)
