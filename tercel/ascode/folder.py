"""The flows-as-code folder, read and checked whole.

    flows/**/*.yml                 flows (the namespace comes from each flow)
    namespaces/<namespace>.yml     description, variables, pluginDefaults, kv, secrets
    files/<namespace>/...          namespace files
    environments/<name>.yml        server, tenant, managedNamespaces, per-namespace overrides

Every problem, in any of these files, is a `Problem` at ``path:line:col``; nothing raises on
bad input. Secret *values* never live here: a secret names where its value comes from
(``env:VAR`` or ``file:PATH``), read only when a plan is applied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tercel.errors import Problem
from tercel.model.duplicates import flag_duplicate_flows
from tercel.model.loader import FLOW_SUFFIXES, FlowResult, validate_file
from tercel.model.names import NAMESPACE_PATTERN
from tercel.model.yaml_source import PositionMap, parse_documents
from tercel.store.kvtypes import KEY_PATTERN
from tercel.templating.references import check_flow_source

FLOWS_DIR = "flows"
NAMESPACES_DIR = "namespaces"
FILES_DIR = "files"
ENVIRONMENTS_DIR = "environments"
#: Folders that make a directory a flows-as-code folder (rather than a folder of flows).
MARKERS = (FLOWS_DIR, NAMESPACES_DIR, ENVIRONMENTS_DIR)

SECRET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SECRET_SOURCE = re.compile(r"^(env|file):(.+)$")
_NAMESPACE = re.compile(NAMESPACE_PATTERN)

NAMESPACE_KEYS = ("id", "description", "variables", "pluginDefaults", "kv", "secrets")
ENVIRONMENT_KEYS = ("server", "tenant", "managedNamespaces", "namespaces")
OVERRIDE_KEYS = ("variables", "pluginDefaults")


@dataclass
class NamespaceSpec:
    """One ``namespaces/<ns>.yml``: settings, KV seeds and secret sources."""

    namespace: str
    path: str
    description: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    plugin_defaults: list[dict[str, Any]] = field(default_factory=list)
    kv: dict[str, Any] = field(default_factory=dict)
    #: NAME (upper-cased) -> ``env:VAR`` or ``file:PATH``.
    secrets: dict[str, str] = field(default_factory=dict)


@dataclass
class Override:
    """What an environment changes in one namespace's settings."""

    variables: dict[str, Any] = field(default_factory=dict)
    plugin_defaults: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Environment:
    """One ``environments/<name>.yml``."""

    name: str
    path: str
    server: str | None = None
    tenant: str = "main"
    #: Namespaces (and their children) this environment owns; None: those the folder has.
    managed: list[str] | None = None
    overrides: dict[str, Override] = field(default_factory=dict)

    def manages(self, namespace: str) -> bool:
        """Whether `namespace` is one this environment may prune in."""
        if self.managed is None:
            return True
        return any(namespace == m or namespace.startswith(m + ".") for m in self.managed)


@dataclass
class SourceFlow:
    """A valid flow of the folder: where it is and its YAML document."""

    namespace: str
    id: str
    path: str
    source: str


@dataclass
class Folder:
    """Everything a flows-as-code folder holds, and every problem found in it."""

    root: Path
    flows: list[SourceFlow] = field(default_factory=list)
    namespaces: dict[str, NamespaceSpec] = field(default_factory=dict)
    #: namespace -> relative path -> bytes
    files: dict[str, dict[str, bytes]] = field(default_factory=dict)
    environments: dict[str, Environment] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    flow_results: list[FlowResult] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """The problems that make the folder unusable (warnings excluded)."""
        return [p for p in self.problems if p.severity == "error"]

    def namespace_names(self) -> list[str]:
        """Every namespace the folder says something about, sorted."""
        names = {f.namespace for f in self.flows} | set(self.namespaces) | set(self.files)
        return sorted(names)

    def environment(self, name: str | None) -> Environment:
        """The named environment; without a name, the only one, or a default one when the
        folder has none (KeyError when it has several: guessing could deploy to prod)."""
        if name is None:
            if len(self.environments) == 1:
                return next(iter(self.environments.values()))
            if self.environments:
                known = ", ".join(sorted(self.environments))
                raise KeyError(f"the folder has several environments ({known}): choose with --env")
            return Environment("default", "")
        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(sorted(self.environments)) or "none"
            raise KeyError(
                f"environment `{name}` is not in {self.root / ENVIRONMENTS_DIR} (known: {known})"
            ) from None


def is_project(path: Path) -> bool:
    """Whether `path` is a flows-as-code folder (has flows/, namespaces/ or environments/)."""
    return path.is_dir() and any((path / marker).is_dir() for marker in MARKERS)


def _yaml_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.rglob("*") if p.suffix in FLOW_SUFFIXES and p.is_file())


def load_folder(root: Path) -> Folder:
    """Read and check the whole folder; problems are collected, never raised."""
    folder = Folder(root)
    _load_flows(folder)
    for path in _yaml_files(root / NAMESPACES_DIR):
        spec = _ReadNamespace(path).read(folder.problems)
        if spec is None:
            continue
        if spec.namespace in folder.namespaces:
            folder.problems.append(
                Problem(
                    f"namespace `{spec.namespace}` is already defined in "
                    f"{folder.namespaces[spec.namespace].path}",
                    str(path),
                    1,
                    1,
                )
            )
            continue
        folder.namespaces[spec.namespace] = spec
    _load_files(folder)
    for path in _yaml_files(root / ENVIRONMENTS_DIR):
        environment = _ReadEnvironment(path).read(folder.problems)
        if environment is not None:
            folder.environments[environment.name] = environment
    return folder


def _references(result: FlowResult) -> list[Problem]:
    """The static template-reference problems of a valid flow, at file lines (as `validate`)."""
    if result.flow is None or not result.ok:
        return []
    found = check_flow_source(result.flow, result.source, result.path)
    shift = result.source_offset
    return [replace(p, line=p.line + shift) if p.line else p for p in found]


def _load_flows(folder: Folder) -> None:
    from tercel.flowtests.loader import is_test_file

    results: list[FlowResult] = []
    for path in _yaml_files(folder.root / FLOWS_DIR):
        if is_test_file(path):  # `tercel test` files may sit beside their flows
            continue
        for result in validate_file(path):
            result.problems.extend(_references(result))
            results.append(result)
    flag_duplicate_flows(results)
    folder.flow_results = results
    for result in results:
        folder.problems.extend(result.problems)
        if result.ok and result.flow is not None:
            folder.flows.append(
                SourceFlow(result.flow.namespace, result.flow.id, result.path, result.source)
            )


def _load_files(folder: Folder) -> None:
    base = folder.root / FILES_DIR
    if not base.is_dir():
        return
    for directory in sorted(p for p in base.iterdir()):
        if not directory.is_dir():
            folder.problems.append(
                Problem(
                    "files/ holds one folder per namespace (files/<namespace>/...)",
                    str(directory),
                    1,
                    1,
                )
            )
            continue
        if not _NAMESPACE.match(directory.name):
            folder.problems.append(
                Problem(f"`{directory.name}` is not a valid namespace", str(directory), 1, 1)
            )
            continue
        entries: dict[str, bytes] = {}
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            entries[path.relative_to(directory).as_posix()] = path.read_bytes()
        folder.files[directory.name] = entries


class _Reader:
    """Shared checks of a small YAML settings file, every problem at its position."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        self.problems: list[Problem] = []
        self.positions = PositionMap()

    def load(self) -> dict[str, Any] | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            self.problems.append(Problem(f"cannot read file: {error}", self.name, 1, 1))
            return None
        documents = parse_documents(text, self.name)
        for document in documents:
            self.problems.extend(document.problems)
        if len(documents) > 1:
            self.problems.append(Problem("expected one YAML document", self.name, 1, 1))
            return None
        document = documents[0]
        self.positions = document.positions
        if document.data is None:
            return {} if not document.problems else None
        if not isinstance(document.data, dict):
            self.fail((), "expected a map")
            return None
        return document.data

    def fail(self, where: tuple[str | int, ...], message: str, hint: str | None = None) -> None:
        position = self.positions.value(where)
        location = ".".join(str(p) for p in where)
        self.problems.append(
            Problem(message, self.name, position.line, position.column, hint, location)
        )

    def fail_key(self, where: tuple[str | int, ...], message: str, hint: str | None = None) -> None:
        position = self.positions.key(where)
        location = ".".join(str(p) for p in where)
        self.problems.append(
            Problem(message, self.name, position.line, position.column, hint, location)
        )

    def check_keys(
        self, data: dict[str, Any], allowed: tuple[str, ...], prefix: tuple[str, ...]
    ) -> None:
        for key in data:
            if key not in allowed:
                self.fail_key(
                    (*prefix, key),
                    f"unknown property `{key}`",
                    "allowed: " + ", ".join(allowed),
                )

    def mapping(
        self, data: dict[str, Any], key: str, prefix: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        value = data.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail((*prefix, key), f"`{key}` must be a map")
            return {}
        return value

    def defaults(self, data: dict[str, Any], prefix: tuple[str, ...]) -> list[dict[str, Any]]:
        value = data.get("pluginDefaults")
        if value is None:
            return []
        where = (*prefix, "pluginDefaults")
        if not isinstance(value, list):
            self.fail(where, "`pluginDefaults` must be a list of {type, values}")
            return []
        kept = []
        for index, entry in enumerate(value):
            if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
                self.fail((*where, index), "a plugin default needs a `type` (a type or prefix)")
                continue
            for key in entry:
                if key not in ("type", "values", "forced"):
                    self.fail_key(
                        (*where, index, key),
                        f"unknown property `{key}`",
                        "allowed: type, values, forced",
                    )
            if "values" in entry and not isinstance(entry["values"], dict):
                self.fail((*where, index, "values"), "`values` must be a map")
                continue
            kept.append(dict(entry))
        return kept

    def namespace(self, value: Any, where: tuple[str | int, ...]) -> str | None:
        if not isinstance(value, str) or not _NAMESPACE.match(value):
            self.fail(
                where,
                f"{value!r} is not a valid namespace",
                "lower-case letters, digits, '_', '-', separated by dots",
            )
            return None
        return value


class _ReadNamespace(_Reader):
    def read(self, sink: list[Problem]) -> NamespaceSpec | None:
        data = self.load()
        spec = None
        if data is not None:
            spec = self._spec(data)
        sink.extend(self.problems)
        return spec if spec is not None and not self.problems else None

    def _spec(self, data: dict[str, Any]) -> NamespaceSpec | None:
        self.check_keys(data, NAMESPACE_KEYS, ())
        stem = self.path.stem
        namespace = stem
        if "id" in data and data["id"] != stem:
            self.fail(
                ("id",),
                f"`id` is `{data['id']}` but the file is named `{stem}.yml`",
                "the file name is the namespace",
            )
        if self.namespace(namespace, ()) is None:
            return None
        description = data.get("description")
        if description is not None and not isinstance(description, str):
            self.fail(("description",), "`description` must be text")
        spec = NamespaceSpec(
            namespace, self.name, description if isinstance(description, str) else None
        )
        spec.variables = self.mapping(data, "variables")
        spec.plugin_defaults = self.defaults(data, ())
        for key, value in self.mapping(data, "kv").items():
            if not KEY_PATTERN.match(str(key)):
                self.fail_key(
                    ("kv", key),
                    f"invalid KV key {key!r}",
                    "letters, digits, '.', '_' or '-', starting with a letter or digit",
                )
                continue
            spec.kv[str(key)] = value
        for name, source in self.mapping(data, "secrets").items():
            where = ("secrets", name)
            if not SECRET_NAME.match(str(name)):
                self.fail_key(where, f"invalid secret name {name!r}", "letters, digits and '_'")
                continue
            if not isinstance(source, str) or not SECRET_SOURCE.match(source):
                self.fail(
                    where,
                    f"secret `{name}` must say where its value comes from",
                    "`env:VARIABLE` or `file:PATH`; a secret's value never lives in Git",
                )
                continue
            spec.secrets[str(name).upper()] = source
        return spec


class _ReadEnvironment(_Reader):
    def read(self, sink: list[Problem]) -> Environment | None:
        data = self.load()
        environment = None
        if data is not None:
            environment = self._environment(data)
        sink.extend(self.problems)
        return environment if not self.problems else None

    def _environment(self, data: dict[str, Any]) -> Environment:
        self.check_keys(data, ENVIRONMENT_KEYS, ())
        environment = Environment(self.path.stem, self.name)
        server = data.get("server")
        if server is not None:
            if not isinstance(server, str) or not re.match(r"^https?://", server):
                self.fail(("server",), "`server` must be an http(s) URL")
            else:
                environment.server = server
        tenant = data.get("tenant", "main")
        if not isinstance(tenant, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", tenant):
            self.fail(("tenant",), "`tenant` must be a tenant id (letters, digits, '_', '-')")
        else:
            environment.tenant = tenant
        managed = data.get("managedNamespaces")
        if managed is not None:
            if not isinstance(managed, list):
                self.fail(("managedNamespaces",), "`managedNamespaces` must be a list")
            else:
                environment.managed = [
                    ns
                    for index, value in enumerate(managed)
                    if (ns := self.namespace(value, ("managedNamespaces", index))) is not None
                ]
        for name, value in self.mapping(data, "namespaces").items():
            where = ("namespaces", name)
            if self.namespace(name, where) is None:
                continue
            if not isinstance(value, dict):
                self.fail(where, "expected a map of variables and pluginDefaults")
                continue
            self.check_keys(value, OVERRIDE_KEYS, ("namespaces", name))
            environment.overrides[name] = Override(
                self.mapping(value, "variables", where), self.defaults(value, where)
            )
        return environment
