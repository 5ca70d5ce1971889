"""Shared API schema pieces: safe text, bounded ids and dates, and the problem document."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from django.db.models import Model, QuerySet
from django.utils import timezone
from ninja import Header, Query, Schema
from pydantic import AfterValidator, Field

# Databases store ids as signed 64-bit integers; a larger number is bad input, not a server error.
MAX_ID = 2**63 - 1
# Dates outside this range are typing mistakes (and would overflow time-zone arithmetic near year 9999).
EARLIEST_YEAR = 1900
LATEST_YEAR = 2200
PAGE_MAX = 200
OFFSET_MAX = 1_000_000_000


def _clean_text(value: str) -> str:
    """Refuse text no database stores faithfully: NUL characters and lone surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def _check_date(value: dt.date) -> dt.date:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


def _check_datetime(value: dt.datetime) -> dt.datetime:
    """Bound the year and read a time without zone as the organisation's local time."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


CleanText = Annotated[str, AfterValidator(_clean_text)]
ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]
BoundedDate = Annotated[dt.date, AfterValidator(_check_date)]
BoundedDateTime = Annotated[dt.datetime, AfterValidator(_check_datetime)]
# Declared on every creation endpoint so the OpenAPI document shows it; wuyou.core.idempotency reads it.
IdempotencyKey = Annotated[str | None, Header(None, alias="Idempotency-Key", max_length=255)]


class ProblemError(Schema):
    """One field at fault and what is wrong with it."""

    field: str
    message: str


class Problem(Schema):
    """An RFC 9457 problem document: every API error has this shape."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str = ""
    errors: list[ProblemError] = []


Limit = Annotated[int, Query(50, ge=1, le=PAGE_MAX)]
Offset = Annotated[int, Query(0, ge=0, le=OFFSET_MAX)]
PageT = TypeVar("PageT")
ModelT = TypeVar("ModelT", bound=Model)


def page_of(
    page: Callable[..., PageT], qs: QuerySet[ModelT], out: Callable[[ModelT], Any], limit: int, offset: int
) -> PageT:
    """One page of `qs` shaped by `out`, with the total count (the lists' common answer)."""
    return page(items=[out(obj) for obj in qs[offset : offset + limit]], count=qs.count(), limit=limit, offset=offset)
