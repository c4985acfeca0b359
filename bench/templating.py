"""Template rendering speed on one core.

    python bench/templating.py [--seconds 1.0]

Prints renders per second for:
  (a) ``{{ outputs.extract.value }}``-sized templates (target >= 100,000/s), the main figure
  (b) a plain string with no template syntax (never reaches the engine)
  (c) text around an expression with a filter and ``??``
  (d) a ``{% for %}`` loop over 10 values
  (e) ``render_typed`` of a single expression
  (f) a cold compile (cache disabled): templates compiled per second
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tercel.templating import NoServices, render, render_typed  # noqa: E402
from tercel.templating.rendering import environment  # noqa: E402

CONTEXT = {
    "flow": {"id": "bench", "namespace": "company.team", "revision": 1},
    "execution": {"id": "1KWLxLeaXEXNDaXWP7YSKA", "startDate": "2024-12-20T10:11:12.123Z"},
    "outputs": {"extract": {"value": "42", "uri": "kestra:///a/b"}, "other": {"n": 3}},
    "inputs": {"name": "World", "items": list(range(10))},
    "taskrun": {"id": "x", "value": None},
}


def rate(label: str, call: Callable[[], object], seconds: float) -> float:
    call()  # warm the caches
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        for _ in range(1000):
            call()
        count += 1000
        now = time.perf_counter()
        if now >= deadline:
            break
    per_second = count / (now - started)
    print(f"{label:<58} {per_second:>12,.0f} /s")
    return per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    seconds = parser.parse_args().seconds

    main_rate = rate(
        "(a) {{ outputs.extract.value }}",
        lambda: render("{{ outputs.extract.value }}", CONTEXT),
        seconds,
    )
    services = NoServices()
    rate(
        "(a') the same, with services and a location (runtime path)",
        lambda: render(
            "{{ outputs.extract.value }}", CONTEXT, services=services, location="task `t`"
        ),
        seconds,
    )
    rate("(b) plain string, no template syntax", lambda: render("hello world", CONTEXT), seconds)
    rate(
        "(c) text + filter + ??",
        lambda: render(
            "Hello {{ inputs.name | upper }} {{ outputs.missing.value ?? 'none' }}", CONTEXT
        ),
        seconds,
    )
    rate(
        "(d) {% for %} over 10 values",
        lambda: render("{% for i in inputs.items %}{{ i }},{% endfor %}", CONTEXT),
        seconds,
    )
    rate(
        "(e) render_typed('{{ outputs.other }}')",
        lambda: render_typed("{{ outputs.other }}", CONTEXT),
        seconds,
    )
    env = environment()
    counter = iter(range(10**9))
    rate(
        "(f) cold compile of a small template (no cache)",
        lambda: env.from_string(f"{{{{ outputs.extract.value ~ '{next(counter)}' }}}}"),
        seconds,
    )
    verdict = "meets" if main_rate >= 100_000 else "MISSES"
    print(f"target >= 100,000 renders/s for (a): {verdict} it ({main_rate:,.0f}/s)")


if __name__ == "__main__":
    main()
