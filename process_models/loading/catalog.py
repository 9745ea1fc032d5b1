"""The definition files on disk, loading them, and the catalog of versions per region."""

from __future__ import annotations

import re
from pathlib import Path

from process_models.loading.build import _build
from process_models.loading.yaml_source import ModelError, ModelValidationError, YamlDocument, read_yaml
from process_models.spec import (
    ProcessModel,
)

DEFINITIONS_DIR = Path(__file__).parent.parent / "definitions"


def _read_file(path: Path) -> YamlDocument:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ModelValidationError([ModelError(str(path), None, "Datei nicht gefunden", "file not found")]) from exc
    except UnicodeDecodeError as exc:
        raise ModelValidationError(
            [ModelError(str(path), None, "Datei ist nicht UTF-8-kodiert", "file is not UTF-8 encoded")]
        ) from exc
    return read_yaml(text, path.name)


def load_model_text(
    text: str,
    *,
    name: str = "<text>",
    override_text: str | None = None,
    override_name: str = "<override>",
    land: str | None = None,
) -> ProcessModel:
    """Build a model from YAML text (and an optional regional override)."""
    override = read_yaml(override_text, override_name) if override_text is not None else None
    return _build(read_yaml(text, name), override, land)


def load_model(
    path: str | Path | None = None, *, override: str | Path | None = None, land: str | None = None
) -> ProcessModel:
    """Load a definition file (the current default when `path` is None) with an optional override.

    `land` sets the calendar's Land (a region's own); the override's calendar section still wins.
    """
    doc = _read_file(Path(path) if path else current_definition_path())
    override_doc = _read_file(Path(override)) if override else None
    return _build(doc, override_doc, land)


def definition_paths(directory: Path | None = None) -> list[Path]:
    """The definition files of `directory` (the shipped `definitions/` when None)."""
    return sorted((directory or DEFINITIONS_DIR).glob("*.yaml"))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in re.split(r"[.\-]", version))


def _peek_version(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("version:"):
            return line.split(":", 1)[1].strip().strip("'\"")
    return "0"


def current_definition_path() -> Path:
    """The definition new cases start on: the highest version in `definitions/`."""
    paths = definition_paths()
    if not paths:
        raise ModelValidationError(
            [ModelError(str(DEFINITIONS_DIR), None, "Keine Prozessdefinition gefunden", "no process definition found")]
        )
    return max(paths, key=lambda path: _version_key(_peek_version(path)))


class ModelCatalog:
    """Every shipped model version per region, with the region's override file applied.

    Overrides live in `overrides_dir/<REGION>.yaml`; regions without a file use the plain model
    (with their own Land's calendar). Models are loaded once per override file and Land, and kept.
    `definitions_dir` replaces the shipped definitions (a test runs the code on a renamed model).
    """

    def __init__(self, overrides_dir: Path | None = None, *, definitions_dir: Path | None = None) -> None:
        self.overrides_dir = overrides_dir
        self.definitions_dir = definitions_dir
        # parsed models per (override file, Land): regions without an override file share the plain
        # models of their Land, so 96 regions parse the definitions once, not 96 times
        self._parsed: dict[tuple[str | None, str | None], dict[str, ProcessModel]] = {}
        # per (region, Land): the sweep asks once per participant, so no file-system look-up here
        self._cache: dict[tuple[str | None, str | None], dict[str, ProcessModel]] = {}

    def override_path(self, region: str | None) -> Path | None:
        if region is None or self.overrides_dir is None:
            return None
        path = self.overrides_dir / f"{region}.yaml"
        return path if path.is_file() else None

    def versions(self, region: str | None = None, *, land: str | None = None) -> dict[str, ProcessModel]:
        models = self._cache.get((region, land))
        if models is None:
            override = self.override_path(region)
            key = (str(override) if override else None, land)
            models = self._parsed.get(key)
            if models is None:
                models = {}
                for path in definition_paths(self.definitions_dir):
                    model = load_model(path, override=override, land=land)
                    models[model.version] = model
                self._parsed[key] = models
            self._cache[(region, land)] = models
        return models

    def current(self, region: str | None = None, *, land: str | None = None) -> ProcessModel:
        """The version new cases of `region` start on."""
        models = self.versions(region, land=land)
        return models[max(models, key=_version_key)]

    def get(self, version: str, region: str | None = None, *, land: str | None = None) -> ProcessModel:
        models = self.versions(region, land=land)
        if version not in models:
            raise ModelValidationError(
                [
                    ModelError(
                        str(DEFINITIONS_DIR),
                        None,
                        f"Prozessversion {version} ist nicht vorhanden",
                        f"process version {version} not found",
                    )
                ]
            )
        return models[version]
