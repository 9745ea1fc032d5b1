"""Loads process definitions and regional overrides from YAML and validates them strictly.

Every problem is collected (not just the first) and reported with file, line and a German and
an English message. The work is split by section in `process_models/loading/`: reading the
YAML (`yaml_source`), parameters and values (`values`), events and transitions (`events`),
steps (`steps`), the stage graph (`graph`), putting a model together (`build`) and the files
and versions on disk (`catalog`). This module hands on the public names.
"""

from __future__ import annotations

from process_models.loading.catalog import (
    DEFINITIONS_DIR,
    ModelCatalog,
    current_definition_path,
    definition_paths,
    load_model,
    load_model_text,
)
from process_models.loading.yaml_source import ModelError, ModelValidationError, YamlDocument, line_of, read_yaml

__all__ = [
    "DEFINITIONS_DIR",
    "ModelCatalog",
    "ModelError",
    "ModelValidationError",
    "YamlDocument",
    "current_definition_path",
    "definition_paths",
    "line_of",
    "load_model",
    "load_model_text",
    "read_yaml",
]
