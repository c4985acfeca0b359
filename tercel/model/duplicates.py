"""Flows defined twice in one validated set (two files of a folder, two documents of a file).

Kestra keys a flow by namespace and id: a second definition silently replaces the first
when both are deployed, so the set is rejected instead, at the second one's `id` line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tercel.errors import Problem
from tercel.model.loader import FlowResult

#: The top-level `id:` key of a flow document (top-level keys start at column 1).
_ID_KEY = re.compile(r"^id\s*:", re.MULTILINE)


def id_position(result: FlowResult) -> tuple[int, int]:
    """File line and column of the document's top-level `id` key (its first line if none)."""
    match = _ID_KEY.search(result.source)
    if match is None:
        return result.start_line, 1
    line = result.source.count("\n", 0, match.start()) + 1
    return line + result.source_offset, 1


def flag_duplicate_flows(results: Sequence[FlowResult]) -> list[Problem]:
    """Add a problem to each result whose namespace and id an earlier one defines; return them.

    The problem goes into the result (not only the returned list) so that the result stops
    counting as a valid flow.
    """
    first: dict[tuple[str, str], tuple[str, int, int]] = {}
    problems: list[Problem] = []
    for result in results:
        if result.flow is None:
            continue
        key = (result.flow.namespace, result.flow.id)
        line, column = id_position(result)
        if key not in first:
            first[key] = (result.path, line, column)
            continue
        path, first_line, first_column = first[key]
        problem = Problem(
            f"flow `{key[0]}.{key[1]}` is already defined at {path}:{first_line}:{first_column}",
            result.path,
            line,
            column,
            location="id",
        )
        result.problems.append(problem)
        problems.append(problem)
    return problems
