"""Optimistic locks: a row changes only if it is still the version its writer saw (of two writers, one wins)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.db.models import F
from django.utils import timezone

from wuyou.core.errors import Conflict


def version_claim(
    obj: models.Model,
    *,
    expected_version: int | None,
    stale_message: str,
    from_status: Sequence[str] | None = None,
    **changes: Any,
) -> None:
    """Write `changes` only if `obj` is still at its version (and in one of `from_status`); else Conflict.

    The row's `version` moves by one and `updated_at` is stamped; the instance in hand follows the row.
    `expected_version` is the version the client last saw (a form's hidden field, an If-Match header).
    """
    current: int = obj.version  # type: ignore[attr-defined]  # every claimed model has a version column
    if expected_version is not None and expected_version != current:
        raise Conflict(stale_message, field="version")
    guard: dict[str, Any] = {"pk": obj.pk, "version": current}
    if from_status is not None:
        guard["status__in"] = list(from_status)
    updated = (
        type(obj)
        ._default_manager.filter(**guard)
        .update(version=F("version") + 1, updated_at=timezone.now(), **changes)
    )
    if updated != 1:
        raise Conflict(stale_message, field="version")
    obj.version = current + 1  # type: ignore[attr-defined]
    for name, value in changes.items():
        setattr(obj, name, value)
