"""Core conditions (Kestra §7.6), with their legacy `...Condition` aliases (§4.0)."""

from __future__ import annotations
