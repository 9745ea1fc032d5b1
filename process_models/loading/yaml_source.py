"""Reading a process definition's YAML with the line of every node, and the builder that
collects every problem with file, line and a German and an English message."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


_AGENCY_CODE = re.compile(r"^[A-Z][A-Z0-9]*$")


_SCALAR_TYPES = {"date", "int", "bool", "str", "agency", "agencies", "provider", "course", "course_type"}


Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class ModelError:
    file: str
    line: int | None
    de: str
    en: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.de} ({self.en})"


class ModelValidationError(Exception):
    """A definition or override is invalid; `errors` lists every problem found."""

    def __init__(self, errors: list[ModelError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


@dataclass
class YamlDocument:
    name: str
    text: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)


class _Builder:
    """Collects errors while turning YAML data into spec objects."""

    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.errors: list[ModelError] = []

    def error(self, path: Path_, de: str, en: str, doc: YamlDocument | None = None) -> None:
        doc = doc or self.doc
        self.errors.append(ModelError(doc.name, line_of(doc, path), de, en))

    def mapping(
        self,
        value: Any,
        path: Path_,
        *,
        what: str,
        allowed: Iterable[str] | None = None,
        required: Iterable[str] = (),
        doc: YamlDocument | None = None,
    ) -> dict[str, Any]:
        """`value` as a mapping with only `allowed` keys and all `required` keys, or {}."""
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.error(path, f"{what}: Zuordnung (Schlüssel: Wert) erwartet", f"{what}: mapping expected", doc)
            return {}
        if allowed is not None:
            allowed_set = set(allowed)
            for key in value:
                if key not in allowed_set:
                    hint = ", ".join(sorted(allowed_set))
                    self.error(
                        (*path, key),
                        f"Unbekannter Schlüssel '{key}' in {what} (erlaubt: {hint})",
                        f"unknown key '{key}' in {what} (allowed: {hint})",
                        doc,
                    )
        for key in required:
            if key not in value:
                self.error(
                    path, f"Pflichtangabe '{key}' fehlt in {what}", f"required key '{key}' missing in {what}", doc
                )
        return value

    def text(self, value: Any, path: Path_, *, what: str, default: str | None = None) -> str:
        if value is None and default is not None:
            return default
        if isinstance(value, str) and value.strip():
            return value.strip()
        self.error(path, f"{what}: Text erwartet", f"{what}: text expected")
        return default or ""

    def boolean(self, value: Any, path: Path_, *, what: str, default: bool = False) -> bool:
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        self.error(path, f"{what}: ja/nein (true/false) erwartet", f"{what}: true/false expected")
        return default

    def names(self, value: Any, path: Path_, *, what: str) -> list[str]:
        """A single name or a list of names."""
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
            return list(value)
        self.error(path, f"{what}: Name oder Liste von Namen erwartet", f"{what}: name or list of names expected")
        return []


def line_of(doc: YamlDocument, path: Path_) -> int | None:
    for end in range(len(path), -1, -1):
        line = doc.lines.get(tuple(path[:end]))
        if line is not None:
            return line
    return None


_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str, name: str) -> YamlDocument:
    """Parse YAML keeping the line of every node; duplicate keys are errors."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ModelValidationError(
            [ModelError(name, line, f"Kein gültiges YAML: {problem}", f"invalid YAML: {problem}")]
        ) from exc
    if root is None:
        raise ModelValidationError([ModelError(name, None, "Die Datei ist leer", "the file is empty")])
    doc = YamlDocument(name, text, None)
    errors: list[ModelError] = []
    constructor = yaml.constructor.SafeConstructor()

    def build(node: yaml.Node, path: Path_) -> Any:
        doc.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = build(key_node, (*path, "<key>"))
                if isinstance(key, date):
                    key = key.isoformat()
                if not isinstance(key, str | int | bool):
                    errors.append(ModelError(name, key_node.start_mark.line + 1, "Ungültiger Schlüssel", "invalid key"))
                    continue
                key = str(key) if not isinstance(key, str) else key
                if key in result:
                    errors.append(
                        ModelError(
                            name,
                            key_node.start_mark.line + 1,
                            f"Schlüssel '{key}' ist doppelt",
                            f"duplicate key '{key}'",
                        )
                    )
                result[key] = build(value_node, (*path, key))
                doc.lines[(*path, key)] = key_node.start_mark.line + 1
            return result
        if isinstance(node, yaml.SequenceNode):
            return [build(item, (*path, index)) for index, item in enumerate(node.value)]
        return constructor.construct_object(node, deep=True)  # type: ignore[no-untyped-call]

    doc.data = build(root, ())
    if errors:
        raise ModelValidationError(errors)
    return doc
