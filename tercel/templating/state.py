"""Per-render state that template functions need (services, nesting depth, location).

Kept in a `ContextVar` rather than in the template context, so a template cannot read or
forge it: no variable name reaches it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from tercel.errors import TemplateSecurityError
from tercel.templating import limits
from tercel.templating.services import NoServices, TemplateServices


class Budget:
    """Loop iterations and wall-clock time one top-level render may spend."""

    __slots__ = ("deadline", "steps")

    def __init__(self) -> None:
        self.steps = 0
        self.deadline = time.monotonic() + limits.MAX_RENDER_SECONDS

    def spend(self, steps: int) -> None:
        """Count `steps` more loop iterations; refuse once over the limits."""
        self.steps += steps
        if self.steps > limits.MAX_LOOP_STEPS:
            raise TemplateSecurityError(
                f"template loops more than {limits.MAX_LOOP_STEPS} times in total"
            )
        if time.monotonic() > self.deadline:
            raise TemplateSecurityError(
                f"template took more than {limits.MAX_RENDER_SECONDS:g} seconds to render"
            )


@dataclass(frozen=True, slots=True)
class RenderState:
    """What the current render may use."""

    services: TemplateServices
    #: How many `render()` calls are nested around this one.
    depth: int = 0
    #: Where the template comes from, e.g. ``task `hello` property `message```.
    location: str | None = None
    #: Shared by nested renders; None for templates without tags (they cannot loop).
    budget: Budget | None = None


_NO_SERVICES = NoServices()
_DEFAULT = RenderState(services=_NO_SERVICES)
_STATE: ContextVar[RenderState] = ContextVar("tercel_render_state", default=_DEFAULT)


def current() -> RenderState:
    """The state of the innermost render in progress (a default one outside any render)."""
    return _STATE.get()


@contextmanager
def entered(
    services: TemplateServices | None, location: str | None, *, loops: bool = True
) -> Iterator[RenderState]:
    """Enter a render: a fresh state, or the running one when nothing changes.

    `loops` says whether the template may loop (has tags); only then is a `Budget` needed.
    """
    outer = _STATE.get()
    if services is None and location is None and (not loops or outer.budget is not None):
        # Fast path: nothing to install.
        yield outer
        return
    state = RenderState(
        services=services if services is not None else outer.services,
        depth=outer.depth,
        location=location if location is not None else outer.location,
        budget=outer.budget if outer.budget is not None else Budget(),
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
    state = RenderState(
        services=outer.services,
        depth=outer.depth + 1,
        location=outer.location,
        budget=outer.budget if outer.budget is not None else Budget(),
    )
    token = _STATE.set(state)
    try:
        yield state
    finally:
        _STATE.reset(token)
