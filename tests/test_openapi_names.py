"""One component name, one schema (issue 12 item 10).

django-ninja files every model of every operation under `components/schemas/<class name>` and silently lets the
last one win, so two classes named alike (the plan's `AdjustIn` and the stock count's `AdjustIn`) made
`POST /dispatch/plans/{id}/adjust` document the parts-count body. These tests fail for any such pair in the API.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict
from typing import Any

import pytest
from ninja.openapi.schema import OpenAPISchema
from pydantic import BaseModel

import wuyou
from config.api import api


def _wuyou_models() -> list[type[BaseModel]]:
    """Every pydantic model the project defines, after importing each app's schemas and api modules."""
    api.mount_routers()
    for app in pkgutil.iter_modules(wuyou.__path__):
        for module in ("schemas", "api"):
            try:
                importlib.import_module(f"wuyou.{app.name}.{module}")
            except ModuleNotFoundError as exc:
                if exc.name != f"wuyou.{app.name}.{module}":
                    raise
    seen: list[type[BaseModel]] = []
    todo: list[type[BaseModel]] = [BaseModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.append(sub)
                todo.append(sub)
    return [m for m in seen if m.__module__.startswith("wuyou.")]


def test_no_two_project_schemas_share_a_class_name():
    by_name: dict[str, set[str]] = defaultdict(set)
    for model in _wuyou_models():
        by_name[model.__name__].add(f"{model.__module__}.{model.__qualname__}")
    clashes = {name: sorted(places) for name, places in by_name.items() if len(places) > 1}
    assert not clashes, f"schema classes sharing a component name: {clashes}"


def test_the_openapi_document_never_files_two_schemas_under_one_name(db, monkeypatch):
    """Builds the document and records every definition ninja files; a name filed twice must mean the same schema."""
    filed: dict[str, list[Any]] = defaultdict(list)
    original = OpenAPISchema.add_schema_definitions

    def recording(self: OpenAPISchema, definitions: dict) -> None:
        for name, definition in definitions.items():
            if definition not in filed[name]:
                filed[name].append(definition)
        original(self, definitions)

    monkeypatch.setattr(OpenAPISchema, "add_schema_definitions", recording)
    document = api.get_openapi_schema()
    clashes = {name: len(versions) for name, versions in filed.items() if len(versions) > 1}
    assert not clashes, f"component names filed with different schemas: {clashes}"
    assert filed, "the document filed no component at all: the recorder saw nothing"
    assert set(filed) <= set(document["components"]["schemas"])


def _body_ref(document: dict, path: str) -> str:
    body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return body["$ref"].rsplit("/", 1)[-1]


@pytest.mark.parametrize(
    ("path", "must_have"),
    [
        ("/api/v1/dispatch/plans/{plan_id}/adjust", {"work_order_id", "engineer_id"}),
        ("/api/v1/parts/adjust", {"counted"}),
    ],
)
def test_each_adjust_operation_documents_its_own_body(db, path, must_have):
    document = api.get_openapi_schema()
    component = document["components"]["schemas"][_body_ref(document, path)]
    assert must_have <= set(component["properties"]), (path, sorted(component["properties"]))
