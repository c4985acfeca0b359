"""String filters, with the values Kestra's and Pebble's tests expect."""

from __future__ import annotations

from typing import Any

import pytest

from tercel.errors import TemplateError
from tercel.templating import render


def r(template: str, **context: Any) -> str:
    return render(template, context)


def test_abbreviate_cuts_and_adds_an_ellipsis() -> None:
    assert r("{{ 'this is a long sentence.' | abbreviate(7) }}") == "this..."
    assert r("{{ 'short' | abbreviate(10) }}") == "short"


def test_capitalize_and_title() -> None:
    assert r("{{ 'hello world' | capitalize }}") == "Hello world"
    assert r("{{ 'article title' | title }}") == "Article Title"


def test_lower_upper_trim() -> None:
    assert r("{{ 'LOUD' | lower }}{{ 'q' | upper }}[{{ '  x ' | trim }}]") == "loudQ[x]"


def test_replace_takes_a_map_of_pairs() -> None:
    assert r("{{ 'john doe is john doe' | replace({'john': 'jane'}) }}") == "jane doe is jane doe"


def test_replace_with_regexp_uses_java_group_references() -> None:
    assert r(r"{{ 'aa1bb2' | replace({'(\\d)': '-$1-'}, regexp=true) }}") == "aa-1-bb-2-"


def test_replace_applies_inside_maps_and_lists() -> None:
    assert r("{{ m | replace({'a': 'b'}) }}", m={"k": ["a", "ca"]}) == '{"k":["b","cb"]}'


def test_split_uses_a_regex_and_drops_trailing_empty_parts() -> None:
    assert r("{{ 'apple,banana,cherry' | split(',') }}") == '["apple","banana","cherry"]'
    assert r("{{ 'a.b.c' | split('\\\\.') }}") == '["a","b","c"]'
    assert r("{{ 'a,b,,' | split(',') }}") == '["a","b"]'
    assert r("{{ 'a,b,c' | split(',', 2) }}") == '["a","b,c"]'


def test_starts_with_and_ends_with() -> None:
    assert r("{{ ns | startsWith('data') }}", ns="data.engineering") == "true"
    assert r("{{ 'file.csv' | endsWith('.csv') }}") == "true"
    assert r("{{ 'x' | startsWith(value='y') }}") == "false"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ 'a.b.c' | substringBefore('.') }}", "a"),
        ("{{ 'a.b.c' | substringAfter('.') }}", "b.c"),
        ("{{ 'a.b.c' | substringBeforeLast('.') }}", "a.b"),
        ("{{ 'a.b.c' | substringAfterLast('.') }}", "c"),
        ("{{ 'abc' | substringBefore('x') }}", "abc"),
        ("{{ 'abc' | substringAfter('x') }}", ""),
    ],
)
def test_substring_filters(template: str, expected: str) -> None:
    assert r(template) == expected


def test_slugify_matches_kestra() -> None:
    assert r('{{ "Test\t\t\ntest*" | slugify }}') == "test-test"
    assert r("{{ 'Hello World!' | slugify }}") == "hello-world"
    assert r("{{ 'Élève été' | slugify }}") == "eleve-ete"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("single", "Can\\'t"), ("double", "Can't"), ("shell", "Can'\\''t")],
)
def test_escape_char(kind: str, expected: str) -> None:
    assert r("{{ v | escapeChar(kind) }}", v="Can't", kind=kind) == expected


def test_escape_char_rejects_an_unknown_type() -> None:
    with pytest.raises(TemplateError, match="single"):
        r("{{ 'Hello' | escapeChar('nope') }}")


def test_indent_and_nindent_follow_kestra() -> None:
    assert r('{{ "first line\nsecond line" | indent(2) }}') == "first line\n  second line"
    crlf = "first line\r\nsecond line"
    assert r("{{ v | indent(2) }}", v=crlf) == "first line\r\n  second line"
    assert r('{{ "\n\n" | indent(2) }}') == "\n  \n  "
    assert r("{{ 'string' | indent(2) }}") == "string"
    assert r('{{ "a\nb" | indent(2, "\t") }}') == "a\n\t\tb"
    assert r('{{ "a\nb" | nindent(2) }}') == "\n  a\n  b"
    assert r("{{ null | indent(2) }}") == ""


def test_url_encoding_like_java() -> None:
    assert r("{{ 'The string ü@foo-bar' | urlencode }}") == "The+string+%C3%BC%40foo-bar"
    assert r("{{ 'a+b%20c' | urldecode }}") == "a b c"


def test_base64_round_trip() -> None:
    assert r("{{ 'test' | base64encode }}") == "dGVzdA=="
    assert r("{{ 'dGVzdA==' | base64decode }}") == "test"


def test_base64decode_of_garbage_is_an_error() -> None:
    with pytest.raises(TemplateError, match="Base64"):
        r("{{ '***' | base64decode }}")


def test_string_filter_prints_like_output() -> None:
    assert r("{{ (m | string) ~ '!' }}", m={"a": True}) == '{"a":true}!'


def test_default_filter_replaces_null_missing_and_empty() -> None:
    assert r("{{ missing | default('x') }}") == "x"
    assert r("{{ a | default('x') }}", a=None) == "x"
    assert r("{{ a | default('x') }}", a="  ") == "x"
    assert r("{{ a | default('x') }}", a="v") == "v"
    assert r("{{ user.phone | default('No phone number') }}", user={}) == "No phone number"


def test_escape_raw_and_nl2br() -> None:
    assert r("{{ '<a href=\"x\">&' | escape }}") == "&lt;a href=&quot;x&quot;&gt;&amp;"
    assert r("{{ 'a\"b' | escape('json') }}") == 'a\\"b'
    assert r("{{ '<b>' | raw }}") == "<b>"
    assert r("{{ 'a\nb' | nl2br }}") == "a<br />b"
