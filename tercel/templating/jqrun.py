"""Running jq programs from templates without letting them escape or run away.

* Builtins that reach outside the value are refused: ``env``/``$ENV`` (they would show
  the process environment, secrets included), ``input``/``inputs``, ``import``/``include``
  (files), ``debug``/``stderr``, ``halt``...
* Programs that can loop or backtrack without bound (``range``, ``repeat``, ``while``,
  ``until``, ``recurse``, ``def``, regex builtins...) run in a child process with a time
  and memory limit; the others run in-process, their results capped in number.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import lru_cache
from typing import Any

from tercel.errors import TemplateError, TemplateSecurityError
from tercel.templating import limits

#: Seconds a jq program in the child process may run.
TIMEOUT_SECONDS = 3.0
#: Address-space limit of the child process (bytes).
MEMORY_BYTES = 1 << 30

_FORBIDDEN = frozenset(
    {
        "env", "$ENV", "input", "inputs", "import", "include", "modulemeta",
        "get_search_list", "input_filename", "$__loc__", "$__prog_args", "halt",
        "halt_error", "debug", "stderr", "input_line_number", "getpath_env",
        "get_prog_origin", "get_jq_origin", "splits_env", "$__prog_name",
    }
)  # fmt: skip
_UNBOUNDED = frozenset(
    {
        "range", "repeat", "while", "until", "recurse", "recurse_down", "def", "limit",
        "foreach", "test", "match", "capture", "scan", "split", "splits", "sub", "gsub",
        "ascii", "walk", "paths", "leaf_paths", "combinations", "label", "getpath",
        "pow", "exp10", "ltrimstr", "implode",
    }
)  # fmt: skip
_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"')
_WORD_RE = re.compile(r"(?<![.\w])\$?[A-Za-z_][A-Za-z0-9_]*")

_CHILD = """
import json, resource, sys
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
import jq
request = json.load(sys.stdin)
out = []
for item in jq.compile(request["program"]).input_value(request["data"]):
    out.append(item)
    if len(out) > request["max"]:
        break
json.dump(out, sys.stdout)
"""


def _words(program: str) -> set[str]:
    # String literals are blanked (a key named "env" is fine) unless they interpolate
    # code with `\\(...)`, which can call builtins too.
    text = program if "\\(" in program else _STRING_RE.sub('""', program)
    return set(_WORD_RE.findall(text))


@lru_cache(maxsize=256)
def _classify(program: str) -> bool:
    """Check a program; True when it must run in the child process."""
    words = _words(program)
    forbidden = sorted(words & _FORBIDDEN)
    if forbidden:
        raise TemplateSecurityError(
            f"jq builtin `{forbidden[0]}` is not allowed in templates: it reaches outside the value"
        )
    # `*` repeats strings ("a" * 1e9): arithmetic runs out of process too.
    return bool(words & _UNBOUNDED) or "\\(" in program or "*" in program


@lru_cache(maxsize=256)
def _compiled(program: str) -> Any:
    import jq  # type: ignore[import-not-found]

    try:
        return jq.compile(program)
    except ValueError as error:
        raise TemplateError(f"Invalid jq expression '{program}': {error}") from None


def _in_process(program: str, data: Any) -> list[Any]:
    results: list[Any] = []
    try:
        for item in _compiled(program).input_value(data):
            results.append(item)
            limits.check_size(len(results), "jq result")
    except ValueError as error:
        raise TemplateError(f"Failed to resolve JQ expression '{program}': {error}") from None
    return results


def _in_child(program: str, data: Any) -> list[Any]:
    _compiled(program)  # syntax errors are reported without starting a process
    request = json.dumps({"program": program, "data": data, "max": limits.MAX_COLLECTION_SIZE})
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", _CHILD, str(MEMORY_BYTES)],
            input=request,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
            env={},  # nothing of this process's environment (secrets) reaches jq
        )
    except subprocess.TimeoutExpired:
        raise TemplateSecurityError(
            f"jq expression '{program}' ran longer than {TIMEOUT_SECONDS:g} seconds"
        ) from None
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["it ran out of memory"])[-1]
        raise TemplateError(f"Failed to resolve JQ expression '{program}': {reason}")
    results: list[Any] = json.loads(done.stdout)
    limits.check_size(len(results), "jq result")
    return results


def run_jq(program: str, data: Any) -> list[Any]:
    """All results of `program` applied to `data` (plain JSON types)."""
    if _classify(program):
        return _in_child(program, data)
    return _in_process(program, data)
