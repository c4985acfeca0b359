""" "Did you mean ...?" hints for unknown properties and unknown types."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, Union

from pydantic import BaseModel

from tercel.model.registry import Category, registry
from tercel.model.yaml_source import Path

#: How alike two packages must be for a type in one to be suggested for the other: a typo
#: (`io.kestra.plugin.cor.log`), not another plugin (`kubernetes.kubectl` vs `core.kv`).
PACKAGE_CUTOFF = 0.85


def closest(word: str, candidates: list[str], cutoff: float = 0.6) -> str | None:
    """The candidate nearest to `word`, if any is close enough.

    Dotted type names share long prefixes, so their last segments must be close too, and
    their packages nearly the same.
    """
    if "." not in word:
        found = difflib.get_close_matches(word, candidates, n=1, cutoff=cutoff)
        return found[0] if found else None
    package, tail = word.rsplit(".", 1)
    best: tuple[float, float, str] | None = None
    for candidate in candidates:
        if "." not in candidate:
            continue
        other_package, other_tail = candidate.rsplit(".", 1)
        tail_ratio = difflib.SequenceMatcher(None, tail, other_tail).ratio()
        if tail_ratio < cutoff:
            continue
        if (
            other_package != package
            and difflib.SequenceMatcher(None, package, other_package).ratio() < PACKAGE_CUTOFF
        ):
            continue
        ratio = difflib.SequenceMatcher(None, word, candidate).ratio()
        if best is None or (ratio, tail_ratio) > best[:2]:
            best = (ratio, tail_ratio, candidate)
    return best[2] if best else None


def type_hint(type_name: str, category: Category | None) -> str | None:
    """Hint for an unknown `type`: the nearest registered name of the same category."""
    names = [info.name for info in registry if category is None or info.category is category]
    aliases = [
        name
        for name in registry.all_names()
        if (found := registry.get(name)) is not None
        and (category is None or found.category is category)
    ]
    match = closest(type_name, names) or closest(type_name, aliases)
    if match is None and "." not in type_name:
        choices = _by_simple_name(type_name, names)
        return "did you mean " + " or ".join(f"`{n}`" for n in choices) + "?" if choices else None
    if match is None:
        return _family_hint(type_name, names)
    return f"did you mean `{match}`?"


def plugin_family(type_name: str) -> str:
    """``io.kestra.plugin.kubernetes.kubectl.Get`` → ``io.kestra.plugin.kubernetes``."""
    parts = type_name.split(".")
    if parts[:3] == ["io", "kestra", "plugin"] and len(parts) > 4:
        return ".".join(parts[:4])
    return type_name.rsplit(".", 1)[0]


def _family_hint(type_name: str, names: list[str]) -> str:
    """No close name: say whether the plugin family is there at all, and what it has."""
    family = plugin_family(type_name)
    members = sorted(name for name in names if name.startswith(family + "."))
    if not members:
        return f"the plugin family `{family}` is not installed in Tercel"
    shown = ", ".join(f"`{name.removeprefix(family + '.')}`" for name in members[:6])
    more = ", ..." if len(members) > 6 else ""
    return f"Tercel's `{family}` has {shown}{more}"


def _by_simple_name(simple: str, names: list[str]) -> list[str]:
    """`Log` (a class name alone) → the registered types whose names end with it (≤ 3)."""
    wanted = simple.lower()
    found = [name for name in names if name.rsplit(".", 1)[-1].lower() == wanted]
    if not found:
        tails = {name.rsplit(".", 1)[-1]: name for name in names}
        near = closest(simple, list(tails))
        found = [tails[near]] if near else []
    core = [name for name in found if name.startswith("io.kestra.plugin.core.")]
    return sorted(core or found)[:3]


def input_type_hint(type_name: str) -> str | None:
    """Hint for an unknown input type: the nearest input type name."""
    from tercel.model.inputs import INPUT_CLASSES

    match = closest(type_name.upper(), list(INPUT_CLASSES), cutoff=0.5)
    return f"did you mean `{match}`?" if match else None


def property_names(cls: type[BaseModel]) -> list[str]:
    """The YAML names (aliases) a model accepts."""
    return [field.alias or name for name, field in cls.model_fields.items()]


def closest_property(cls: type[BaseModel] | None, key: str) -> str | None:
    """The property of `cls` that `key` is probably a misspelling of, if any."""
    if cls is None:
        return None
    return closest(key, property_names(cls), cutoff=0.7)


def property_hint(cls: type[BaseModel] | None, key: str) -> str | None:
    """Hint for an unknown property `key` of `cls`."""
    match = closest_property(cls, key)
    return f"did you mean `{match}`?" if match else None


def _model_from_type(data: Any) -> type[BaseModel] | None:
    if isinstance(data, dict) and isinstance(data.get("type"), str):
        found = registry.get(data["type"])
        if found is not None:
            return found.cls
        from tercel.model.inputs import input_class

        return input_class(data["type"])
    return None


def _candidates(annotation: Any) -> list[Any]:
    """Flatten Optional/Union/Annotated into the member types."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _candidates(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        found: list[Any] = []
        for member in typing.get_args(annotation):
            found.extend(_candidates(member))
        return found
    return [annotation]


def _step(annotation: Any, item: str | int, child: Any) -> tuple[Any, type[BaseModel] | None]:
    """Follow one path item through `annotation`: the next annotation and model, if any."""
    for candidate in _candidates(annotation):
        origin = typing.get_origin(candidate)
        args = typing.get_args(candidate)
        if isinstance(item, int) and origin in (list, tuple) and args:
            inner = args[0]
        elif isinstance(item, str) and origin is dict and len(args) == 2:
            inner = args[1]
        else:
            continue
        model = _model_from_type(child)
        if model is None:
            model = next(
                (
                    member
                    for member in _candidates(inner)
                    if isinstance(member, type) and issubclass(member, BaseModel)
                ),
                None,
            )
        return inner, model
    return None, None


def model_at(root: type[BaseModel], data: Any, path: Path) -> type[BaseModel] | None:
    """Best-effort: the model class that validates the map found at `path` of `data`."""
    model: type[BaseModel] | None = root
    annotation: Any = None
    node = data
    for item in path:
        if _has(node, item):
            child = _child(node, item)
        else:
            return None
        if model is not None and isinstance(item, str):
            field = next(
                (f for name, f in model.model_fields.items() if item in (name, f.alias)), None
            )
            if field is None:
                return None
            annotation = field.annotation
            model = _model_from_type(child) or next(
                (
                    member
                    for member in _candidates(annotation)
                    if isinstance(member, type) and issubclass(member, BaseModel)
                ),
                None,
            )
        else:
            annotation, model = _step(annotation, item, child)
        node = child
    return model


def _has(node: Any, item: str | int) -> bool:
    """Whether `item` is a key (of a map) or an index (of a list) present in `node`."""
    if isinstance(node, dict):
        return isinstance(item, str) and item in node
    return isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node)


def _child(node: Any, item: str | int) -> Any:
    return node[item]


def python_only_names(root: type[BaseModel], data: Any) -> list[tuple[Path, str]]:
    """Keys written with a Python attribute name instead of the YAML name (`allow_failure`).

    Models accept both so that Python code can build them; YAML must use Kestra's names.
    Returns ``(path of the key, YAML name)`` pairs.
    """
    found: list[tuple[Path, str]] = []

    def visit(node: Any, path: Path) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                visit(item, (*path, index))
            return
        if not isinstance(node, dict):
            return
        model = model_at(root, data, path)
        if model is not None:
            renamed = {
                name: field.alias
                for name, field in model.model_fields.items()
                if field.alias and field.alias != name
            }
            for key in node:
                if key in renamed and renamed[key] not in node:
                    found.append(((*path, key), renamed[key]))
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                visit(value, (*path, key))

    visit(data, ())
    return found
