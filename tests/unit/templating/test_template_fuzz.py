"""Random templates never crash the engine: they render or fail with a `TercelError`."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tercel.errors import TercelError
from tercel.templating import render, render_typed

PIECES = [
    "{{", "}}", "{%", "%}", "{#", "#}", " ", "a", "b", "x.y", "outputs", "inputs.name", "'s'",
    '"d #{a}"', "1", "2.5", "null", "true", "??", "???", "?", ":", "..", "~", "|", "upper",
    "length", "default('z')", "date('yyyy')", "+", "-", "*", "/", "%", "==", "and", "or", "not",
    "is", "defined", "empty", "contains", "(", ")", "[", "]", "{", "}", ",", "for", "in",
    "endfor", "if", "elseif", "else", "endif", "set", "=", "raw", "endraw", "render(a)",
    "__class__", "loop.index", "range(0, 3)", "jq('.')", "now()", "'%s'", "\n",
]  # fmt: skip

CONTEXT = {"a": "{{ b }}", "b": 2, "x": {"y": [1, 2]}, "inputs": {"name": "n"}, "outputs": {}}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=25))
def test_random_templates_render_or_raise_a_tercel_error(pieces: list[str]) -> None:
    template = " ".join(pieces)
    with contextlib.suppress(TercelError):  # any other exception fails the test
        assert isinstance(render(template, CONTEXT), str)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12))
def test_random_expressions_render_typed_or_raise_a_tercel_error(pieces: list[str]) -> None:
    with contextlib.suppress(TercelError):  # any other exception fails the test
        render_typed("{{ " + " ".join(pieces) + " }}", CONTEXT)
