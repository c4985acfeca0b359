"""The pure executor: given a flow, an execution and an event, decide what happens next.

Nothing here does I/O, reads a clock or draws random numbers; time and ids come in as
arguments so that every decision can be replayed and tested.
"""

from __future__ import annotations
