"""Filters on lists and maps, with the values Kestra and Pebble give."""

from __future__ import annotations

from typing import Any

import pytest

from tercel.errors import TemplateError
from tercel.templating import render


def r(template: str, **context: Any) -> str:
    return render(template, context)


def test_first_and_last() -> None:
    assert r("{{ ['apple', 'banana'] | first }}{{ ['apple', 'banana'] | last }}") == "applebanana"
    assert r("{{ 'abc' | first }}{{ 'abc' | last }}") == "ac"
    assert r("[{{ [] | first }}]") == "[]"


def test_length_of_strings_lists_maps_and_null() -> None:
    assert r(
        "{{ 'abc' | length }}{{ [1, 2] | length }}{{ {'a': 1} | length }}{{ null | length }}"
    ) == ("3210")


def test_join_with_and_without_separator() -> None:
    assert r("{{ ['apple', 'banana'] | join(', ') }}") == "apple, banana"
    assert r("{{ [1, 2] | join }}") == "12"


def test_keys_of_maps_and_lists() -> None:
    assert r("{{ {'foo': 'bar', 'baz': 'qux'} | keys }}") == '["foo","baz"]'
    assert r("{{ ['a', 'b', 'c'] | keys }}") == "[0,1,2]"


def test_values_of_a_map() -> None:
    assert r("{{ {'foo': 'bar', 'baz': 'qux'} | values }}") == '["bar","qux"]'


def test_values_of_a_list_is_an_error() -> None:
    with pytest.raises(TemplateError, match="Map"):
        r("{{ [1] | values }}")


def test_flatten_one_level() -> None:
    assert r("{{ [[1, 2], 3, [4, [5]]] | flatten }}") == "[1,2,3,4,[5]]"


def test_chunk_matches_kestra() -> None:
    assert r("{{ l | chunk(2) }}", l=list(range(1, 10))) == "[[1,2],[3,4],[5,6],[7,8],[9]]"


def test_chunk_of_a_non_list_is_an_error() -> None:
    with pytest.raises(TemplateError, match="List"):
        r("{{ test | chunk(2) }}", test=1)


def test_merge_maps_and_lists() -> None:
    assert r("{{ {'a': 1} | merge({'b': 2}) }}") == '{"a":1,"b":2}'
    assert r("{{ [1] | merge([2, 3]) }}") == "[1,2,3]"


def test_sort_rsort_reverse() -> None:
    assert r("{{ [3, 1, 2] | sort }}{{ [3, 1, 2] | rsort }}{{ [1, 2, 3] | reverse }}") == (
        "[1,2,3][3,2,1][3,2,1]"
    )


def test_sort_does_not_change_the_input() -> None:
    data = [3, 1]
    r("{{ l | sort }}", l=data)
    assert data == [3, 1]


def test_slice_is_pebbles_substring_and_sublist() -> None:
    assert r("{{ ['apple', 'banana', 'cherry'] | slice(1, 2) }}") == '["banana"]'
    assert r("{{ 'abcdef' | slice(2, 4) }}") == "cd"
    assert r("{{ 'abcdef' | slice(2) }}") == "cdef"


def test_slice_past_the_end_is_an_error() -> None:
    with pytest.raises(TemplateError, match="toIndex"):
        r("{{ 'abc' | slice(0, 10) }}")


def test_distinct_keeps_first_occurrences() -> None:
    assert r("{{ [1, 2, 1, 3, 2] | distinct }}") == "[1,2,3]"
    assert r("{{ [{'a': 1}, {'a': 1}] | distinct }}") == '[{"a":1}]'
