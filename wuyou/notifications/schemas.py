"""Shapes of the in-app inbox API (/api/v1/inbox)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema

InboxStatus = Literal["all", "unread"]


class InboxMessageOut(Schema):
    """One message of the caller's own inbox; `url` is the page it is about, when there is one."""

    id: int
    kind: str
    subject: str
    body: str
    ref: str
    url: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None
    unread: bool


class InboxPage(Schema):
    """One page of the caller's inbox, newest first, with his unread count (for the bell)."""

    items: list[InboxMessageOut]
    count: int
    unread: int
    limit: int
    offset: int


class InboxReadAllOut(Schema):
    """How many messages were marked read; the unread count is then 0."""

    marked: int
    unread: int
