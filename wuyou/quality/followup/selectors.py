"""The follow-up staff's work queue: pending callbacks in "call at" order, his own, the unassigned or all of them.

Scoped like every callback read (`callbacks_visible`): an outlet's follow-up staff see their outlet's callbacks, the
head office all; roles without scope get an empty queue.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from wuyou.accounts.actors import Actor
from wuyou.quality.models import Callback, CallbackStatus
from wuyou.quality.selectors import DueWithin, callbacks_visible


class Whose(enum.StrEnum):
    """Whose callbacks the queue shows."""

    MINE = "mine"
    UNASSIGNED = "unassigned"
    ALL = "all"


@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters: how far ahead (by "call at") and whose callbacks (taken by me, by nobody yet, any)."""

    due: DueWithin = DueWithin.TODAY
    whose: Whose = Whose.ALL


def _end_of_today(now: dt.datetime) -> dt.datetime:
    """Midnight after today, in the organisation's zone."""
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)


def callbacks_queue(*, actor: Actor, filters: QueueFilters) -> QuerySet[Callback]:
    """Visible pending callbacks, the next call first (by "call at"), with what a row of the queue shows."""
    now = timezone.now()
    qs = callbacks_visible(actor=actor).filter(status=CallbackStatus.PENDING)
    if filters.due is DueWithin.NOW:
        qs = qs.filter(call_at__lte=now)
    elif filters.due is DueWithin.TODAY:
        qs = qs.filter(call_at__lt=_end_of_today(now))
    if filters.whose is Whose.MINE:
        qs = qs.filter(assigned_to__user_id=actor.user_id) if actor.user_id is not None else qs.none()
    elif filters.whose is Whose.UNASSIGNED:
        qs = qs.filter(assigned_to__isnull=True)
    return (
        qs.select_related("request", "request__customer", "request__outlet", "assigned_to", "follows")
        .prefetch_related("request__customer__phones")
        .order_by("call_at", "due_at", "pk")
    )
