"""Ready-to-use flows (`tercel blueprint list | show ID | use ID`), shipped with the package.

Each blueprint is one or more flow files under `flows/` plus an entry in `catalog.yml`
(id, title, tags, description, files). `use` rewrites the namespace of every flow it
prints so that the blueprint lands where the user wants it.
"""

from __future__ import annotations

from tercel.blueprints.catalog import Blueprint, all_blueprints, get_blueprint, with_namespace

__all__ = ["Blueprint", "all_blueprints", "get_blueprint", "with_namespace"]
