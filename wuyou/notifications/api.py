"""The in-app inbox API under /api/v1/inbox: a person reads and marks his own messages (issue 13 item 5).

Only the caller's own messages, by construction (the selectors filter on his user id); another's message id is a
404 like a missing one. An integration token has no inbox (empty, every id a 404): the account it acts as may be
scoped to another outlet than the token, so its messages are not the token's to read. The authentication (session
with CSRF and the second factor, or a token) is the project's, in config.api; this module reads only
`request.auth.user_id`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router

from wuyou.core.schemas import Limit, ObjectId, Offset
from wuyou.notifications.links import ref_urls
from wuyou.notifications.models import Message
from wuyou.notifications.schemas import InboxMessageOut, InboxPage, InboxReadAllOut, InboxStatus
from wuyou.notifications.selectors import inbox_messages, inbox_unread_count
from wuyou.notifications.services import inbox_mark_all_read, inbox_mark_read

router = Router(tags=["inbox"])


def _reader(request: HttpRequest) -> int | None:
    """The person whose inbox this is: the logged-in user. A token has none (an empty inbox, its ids not found): the
    account it acts as may belong to another outlet than the token, so that account's messages are not the token's."""
    actor: Any = getattr(request, "auth", None)
    if getattr(actor, "token_id", None):
        return None
    user_id = getattr(actor, "user_id", None)
    return user_id if isinstance(user_id, int) else None


def message_out(message: Message, urls: Mapping[str, str]) -> InboxMessageOut:
    return InboxMessageOut(
        id=message.pk,
        kind=message.kind,
        subject=message.subject,
        body=message.body,
        ref=message.ref,
        url=urls.get(message.ref),
        created_at=message.created_at,
        read_at=message.read_at,
        unread=message.read_at is None,
    )


@router.get("", response=InboxPage, operation_id="inbox_list")
def inbox_list(
    request: HttpRequest,
    limit: Limit,
    offset: Offset,
    status: Annotated[InboxStatus, Query(description="`unread` for the unread messages only.")] = "all",
) -> InboxPage:
    """The caller's messages, newest first, and how many are unread."""
    user_id = _reader(request)
    messages = inbox_messages(user_id=user_id, unread_only=status == "unread")
    page = list(messages[offset : offset + limit])
    urls = ref_urls(m.ref for m in page)
    return InboxPage(
        items=[message_out(m, urls) for m in page],
        count=messages.count(),
        unread=inbox_unread_count(user_id=user_id),
        limit=limit,
        offset=offset,
    )


@router.post("/{message_id}/read", response=InboxMessageOut, operation_id="inbox_message_read")
def inbox_message_read(request: HttpRequest, message_id: ObjectId) -> InboxMessageOut:
    """Mark one of the caller's messages read (again is harmless); another's is a 404."""
    message = inbox_mark_read(user_id=_reader(request), message_id=message_id)
    return message_out(message, ref_urls([message.ref]))


@router.post("/read-all", response=InboxReadAllOut, operation_id="inbox_read_all")
def inbox_read_all(request: HttpRequest) -> InboxReadAllOut:
    """Mark every unread message of the caller read."""
    return InboxReadAllOut(marked=inbox_mark_all_read(user_id=_reader(request)), unread=0)
