"""Set-based writes Django's ORM does slowly: one UPDATE … FROM (VALUES …) for many rows with different values,
and plain rows inserted with COPY.

`QuerySet.bulk_update` builds a CASE expression per field and row, which costs about a millisecond a row in
Python; the deadline sweeper moves thousands of rows a second. On PostgreSQL this writes the same rows with one
statement per batch; elsewhere it falls back to `bulk_update`. Likewise `bulk_create` spends more on building model
instances than the database spends on tens of thousands of rows; `rows_insert` copies plain values instead.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, JSONField, Model


def rows_update(rows: Sequence[Model], fields: Sequence[str], *, batch_size: int = 1000) -> int:
    """Write `fields` of each row (by primary key) in as few statements as the database allows."""
    if not rows:
        return 0
    model = type(rows[0])
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_update(rows, list(fields), batch_size=batch_size)
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    columns: list[Field[Any, Any]] = []
    for name in fields:
        field = meta.get_field(name)
        assert isinstance(field, Field), name  # a concrete column, not a relation's reverse side
        columns.append(field)
    casts = [f"%s::{pk.db_type(connection)}"] + [f"%s::{field.db_type(connection)}" for field in columns]
    row_sql = "(" + ", ".join(casts) + ")"
    assignments = ", ".join(f'"{f.column}" = v."{f.column}"' for f in columns)
    names = ", ".join(f'"{c}"' for c in [pk.column] + [f.column for f in columns])
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            params: list[Any] = []
            for row in chunk:
                params.append(pk.get_db_prep_value(row.pk, connection))
                params += [f.get_db_prep_save(getattr(row, f.attname), connection) for f in columns]
            sql = (
                f'UPDATE "{meta.db_table}" AS t SET {assignments} '  # noqa: S608 — names from the model, values bound
                f"FROM (VALUES {', '.join([row_sql] * len(chunk))}) AS v({names}) "
                f'WHERE t."{pk.column}" = v."{pk.column}"'
            )
            cursor.execute(sql, params)
            written += cursor.rowcount
    return written


def rows_insert(model: type[Model], rows: Sequence[Mapping[str, Any]], *, now: dt.datetime) -> None:
    """Insert plain rows (attribute names to values; the rest take their field's default, timestamps `now`).

    On PostgreSQL through COPY; elsewhere (SQLite) through bulk_create. The services that own `model` call this.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create([model(**row) for row in rows], batch_size=500)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    makers = []
    for f in fields:
        stamped = bool(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
        makers.append((f.attname, now if stamped else f.get_default(), isinstance(f, JSONField)))
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the driver's cursor: Django's wrapper has no COPY
        with raw.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [
                        (json.dumps(row.get(name, default)) if is_json else row.get(name, default))
                        for name, default, is_json in makers
                    ]
                )
