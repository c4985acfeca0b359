"""What one environment wants on its server: the folder with the environment's overrides.

`desired_state(folder, environment)` gives one `DesiredNamespace` per namespace the folder
(or the environment) names. Everything in the folder is deployed; `managedNamespaces` says
where the environment owns the server's content, i.e. where `--prune` may delete what the
folder does not have (a namespace and its children). Without the list, every namespace the
folder names is managed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tercel.ascode.folder import Environment, Folder, SourceFlow
from tercel.store.namespaces import deep_merge


@dataclass
class DesiredNamespace:
    """Everything the folder says about one namespace, for one environment."""

    namespace: str
    flows: dict[str, SourceFlow] = field(default_factory=dict)
    #: description, variables, pluginDefaults; None when neither a namespace file nor the
    #: environment says anything about the settings.
    settings: dict[str, Any] | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    kv: dict[str, Any] = field(default_factory=dict)
    #: NAME -> ``env:VAR`` / ``file:PATH``
    secrets: dict[str, str] = field(default_factory=dict)
    #: Whether `--prune` may delete here.
    managed: bool = True


def merge_defaults(
    base: list[dict[str, Any]], override: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """An environment's plugin default replaces the folder's one of the same type."""
    replaced = {entry["type"] for entry in override}
    return [entry for entry in base if entry["type"] not in replaced] + list(override)


def desired_state(
    folder: Folder, environment: Environment
) -> tuple[list[DesiredNamespace], list[str]]:
    """The namespaces to compare, sorted, and notes for the plan's header."""
    names = set(folder.namespace_names()) | set(environment.overrides)
    if environment.managed is not None:
        names |= set(environment.managed)
    notes: list[str] = []
    if environment.managed is not None:
        notes.append("--prune deletes only in: " + ", ".join(environment.managed))
    wanted: list[DesiredNamespace] = []
    for namespace in sorted(names):
        desired = DesiredNamespace(namespace, managed=environment.manages(namespace))
        desired.flows = {f.id: f for f in folder.flows if f.namespace == namespace}
        desired.files = dict(folder.files.get(namespace, {}))
        spec = folder.namespaces.get(namespace)
        override = environment.overrides.get(namespace)
        if spec is not None or override is not None:
            variables = dict(spec.variables) if spec else {}
            defaults = list(spec.plugin_defaults) if spec else []
            if override is not None:
                variables = deep_merge(variables, override.variables)
                defaults = merge_defaults(defaults, override.plugin_defaults)
            desired.settings = {
                "description": spec.description if spec else None,
                "variables": variables,
                "pluginDefaults": defaults,
            }
        if spec is not None:
            desired.kv = dict(spec.kv)
            desired.secrets = dict(spec.secrets)
        wanted.append(desired)
    return wanted, notes
