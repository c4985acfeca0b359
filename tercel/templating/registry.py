"""Builds the environment with every function, filter, test and method registered."""

from __future__ import annotations

from tercel.templating.environment import PebbleEnvironment, strict_filter
from tercel.templating.filters import FILTERS
from tercel.templating.functions import FUNCTIONS
from tercel.templating.methods import METHODS
from tercel.templating.predicates import TESTS


def build_environment() -> PebbleEnvironment:
    """A fresh `PebbleEnvironment` speaking Kestra's functions, filters and tests."""
    env = PebbleEnvironment()
    env.globals.update(FUNCTIONS)
    env.filters.update({name: strict_filter(function) for name, function in FILTERS.items()})
    env.tests.update(TESTS)
    env.methods = METHODS
    return env


def function_names() -> frozenset[str]:
    """Names callable as ``name(...)`` in a template."""
    return frozenset(FUNCTIONS)


def filter_names() -> frozenset[str]:
    """Names usable as ``| name``."""
    return frozenset(FILTERS)


def test_names() -> frozenset[str]:
    """Names usable as ``is name``."""
    return frozenset(TESTS)
