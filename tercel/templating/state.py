"""Per-render state that template functions need (services, nesting depth, location).

Kept in a `ContextVar` rather than in the template context, so a template cannot read or
forge it: no variable name reaches it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
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


def enter(
    services: TemplateServices | None, location: str | None, *, loops: bool
) -> Token[RenderState] | None:
    """Install the state of a render; None when the running one fits as it is.

    `loops` says whether the template may loop (it has tags): only then is a `Budget`
    needed. Pair every non-None token with `leave`. (No context manager here: this runs
    on every render and a generator-based one costs more than the render itself.)
    """
    outer = _STATE.get()
    if (
        (services is None or services is outer.services)
        and (location is None or location == outer.location)
        and (not loops or outer.budget is not None)
    ):
        return None
    budget = outer.budget if outer.budget is not None or not loops else Budget()
    state = _reusable(services, location, outer) if budget is None else None
    if state is None:
        state = RenderState(
            services=services if services is not None else outer.services,
            depth=outer.depth,
            location=location if location is not None else outer.location,
            budget=budget,
        )
        if budget is None:
            _last_state[0] = state
    return _STATE.set(state)


#: The last budget-less state made by `enter`: renders of one task repeat it.
_last_state: list[RenderState | None] = [None]


def _reusable(
    services: TemplateServices | None, location: str | None, outer: RenderState
) -> RenderState | None:
    last = _last_state[0]
    if (
        last is not None
        and last.services is (services if services is not None else outer.services)
        and last.location == (location if location is not None else outer.location)
        and last.depth == outer.depth
    ):
        return last
    return None


def leave(token: Token[RenderState] | None) -> None:
    """Restore the state that `enter` replaced."""
    if token is not None:
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
