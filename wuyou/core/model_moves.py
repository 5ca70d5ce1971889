"""Moving models between apps without touching their rows: the content types follow (ADR 0004).

A model moved state-only keeps its table; its content type changes app label in place, so the permissions granted
on it and the admin's history stay attached. Used by the moving app's first migration.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

MigrationStep = Callable[[Any, Any], None]


def content_types_moved(*, from_app: str, to_app: str, models: Sequence[str]) -> tuple[MigrationStep, MigrationStep]:
    """The forward and backward RunPython steps that move the models' content types from one app to another."""

    def move(apps: Any, source: str, target: str) -> None:
        content_type = apps.get_model("contenttypes", "ContentType")
        taken = set(content_type.objects.filter(app_label=target).values_list("model", flat=True))
        content_type.objects.filter(app_label=source, model__in=[m for m in models if m not in taken]).update(
            app_label=target
        )

    def forward(apps: Any, schema_editor: Any) -> None:
        move(apps, from_app, to_app)

    def backward(apps: Any, schema_editor: Any) -> None:
        move(apps, to_app, from_app)

    return forward, backward
