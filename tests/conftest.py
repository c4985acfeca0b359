"""Shared fixtures. Tests never need ../shared: fixtures live under tests/."""

from __future__ import annotations
