"""Per-render state that template functions need (services, nesting depth, location).

Kept in a `ContextVar` rather than in the template context, so a template cannot read or
forge it: no variable name reaches it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from tercel.templating.services import NoServices, TemplateServices


@dataclass(frozen=True, slots=True)
class RenderState:
    """What the current render may use."""

    services: TemplateServices
    #: How many `render()` calls are nested around this one.
    depth: int = 0
    #: Where the template comes from, e.g. ``task `hello` property `message```.
    location: str | None = None


_NO_SERVICES = NoServices()
_DEFAULT = RenderState(services=_NO_SERVICES)
_STATE: ContextVar[RenderState] = ContextVar("tercel_render_state", default=_DEFAULT)


def current() -> RenderState:
    """The state of the innermost render in progress (a default one outside any render)."""
    return _STATE.get()


@contextmanager
def entered(services: TemplateServices | None, location: str | None) -> Iterator[RenderState]:
    """Enter a top-level render: a fresh state unless one is already running (nesting)."""
    outer = _STATE.get()
    if services is None and location is None and outer is _DEFAULT:
        # Fast path: nothing to install.
        yield outer
        return
    state = RenderState(
        services=services if services is not None else outer.services,
        depth=outer.depth,
        location=location if location is not None else outer.location,
    )
    token = _STATE.set(state)
    try:
        yield state
    finally:
        _STATE.reset(token)


@contextmanager
def nested() -> Iterator[RenderState]:
    """Enter a nested `render()` (one level deeper)."""
    outer = _STATE.get()
    state = RenderState(services=outer.services, depth=outer.depth + 1, location=outer.location)
    token = _STATE.set(state)
    try:
        yield state
    finally:
        _STATE.reset(token)
