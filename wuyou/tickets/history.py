"""The request's history in words: labels registered by the apps that write the events, and each line drawn.

tickets knows its own verbs; the apps above it (dispatch, fieldservice, fees, parts, loaners, quality) declare theirs
as TextChoices and register them in their AppConfig.ready(), so tickets never spells another app's verb (ADR 0004).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import models
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuyou.tickets.models import RequestEvent, Status, Step, level_label

_LABELS: dict[str, str | Promise] = {}


def history_labels_register(labels: type[models.TextChoices] | Mapping[str, str | Promise]) -> None:
    """Add the labels of an app's event verbs (a TextChoices, or a verb → label mapping)."""
    if isinstance(labels, type) and issubclass(labels, models.TextChoices):
        _LABELS.update({member.value: member.label for member in labels})
    else:
        _LABELS.update(labels)


def history_verbs() -> set[str]:
    """Every verb some app registered a label for."""
    return set(_LABELS)


def history_label(verb: str) -> str:
    """The verb in the reader's language; a verb nobody registered reads as itself."""
    label = _LABELS.get(verb)
    return str(label) if label is not None else verb


# The deadline sweeper's events (wuyou.tickets.sweep): who was reached, for which step and due time.
_CLOCK_VERBS = {
    "warned": gettext_lazy("Warning sent to %(level)s"),
    "breached": gettext_lazy("Overdue: escalated to %(level)s"),
    "escalated": gettext_lazy("Escalated to %(level)s"),
}


@dataclass(frozen=True)
class HistoryLine:
    """One event of the request's history, in words."""

    event: RequestEvent
    what: str
    from_label: str
    to_label: str
    actor_name: str = ""
    summary: str = ""
    css: str = ""


def _status_label(value: str) -> str:
    return str(Status(value).label) if value in Status.values else value


def _local_time(value: object) -> str:
    """An ISO time from an event's data as the organisation's local "Y-m-d H:i" ("" when unreadable)."""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")


def _actor_name(event: RequestEvent) -> str:
    user = event.actor
    if user is None:
        return _("system") if event.verb in _CLOCK_VERBS else ""
    staff = getattr(user, "staff", None)  # no profile: RelatedObjectDoesNotExist, an AttributeError
    return staff.display_name if staff is not None else user.get_username()


def _clock_line(event: RequestEvent) -> HistoryLine:
    """A sweeper's warning or escalation, labelled from its data (which it wrote; read defensively all the same)."""
    data = event.data if isinstance(event.data, dict) else {}
    step = str(data.get("step", ""))
    facts = {
        "step": str(Step(step).label) if step in Step.values else step,
        "due": _local_time(data.get("due_at", "")),
    }
    return HistoryLine(
        event=event,
        what=str(_CLOCK_VERBS[event.verb]) % {"level": level_label(str(data.get("level_name", "")))},
        from_label="",
        to_label="",
        actor_name=_actor_name(event),
        summary=_("%(step)s, due %(due)s") % facts if facts["due"] else facts["step"],
        css=f"tl-clock tl-clock-{event.verb}",
    )


def history_line(event: RequestEvent) -> HistoryLine:
    if event.verb in _CLOCK_VERBS:
        return _clock_line(event)
    return HistoryLine(
        event=event,
        what=history_label(event.verb),
        from_label=_status_label(event.from_status),
        to_label=_status_label(event.to_status),
        actor_name=_actor_name(event),
    )
