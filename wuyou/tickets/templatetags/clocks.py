"""How a request clock reads to a person (R-E4): "due in 3 h 10 min", "overdue by 1 d 2 h", "met late".

The phrases are pure functions of the clock's values and a given `now`, so they are tested without a database
and a page shows every clock against the same moment. The template filters are thin wrappers.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wuyou.tickets.models import ClockOutcome, ClockStage, ClockState, RequestClock, level_label
from wuyou.tickets.sla import chain_rung

register = template.Library()

MINUTES_PER_DAY = 24 * 60


def duration_phrase(seconds: float) -> str:
    """A span as its two largest units, in whole minutes rounded down: "1 d 2 h", "3 h 10 min", "5 min"."""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, MINUTES_PER_DAY)
    hours, mins = divmod(rest, 60)
    d = ngettext("%(count)d d", "%(count)d d", days) % {"count": days}
    h = ngettext("%(count)d h", "%(count)d h", hours) % {"count": hours}
    m = ngettext("%(count)d min", "%(count)d min", mins) % {"count": mins}
    if days:
        return f"{d} {h}" if hours else d
    if hours:
        return f"{h} {m}" if mins else h
    return m


def clock_phrase(*, state: str, outcome: str, due_at: dt.datetime, now: dt.datetime) -> str:
    """Where a clock stands, in words: due in / overdue by for a running clock, else paused or its outcome."""
    if state == ClockState.STOPPED:
        outcomes: dict[str, str] = {
            ClockOutcome.MET.value: _("met"),
            ClockOutcome.MISSED.value: _("met late"),
            ClockOutcome.MOOT.value: _("not needed"),
        }
        return outcomes.get(outcome, _("stopped"))
    if state == ClockState.PAUSED:
        return _("paused")
    left = (due_at - now).total_seconds()
    if abs(left) < 60:
        return _("due now")
    if left > 0:
        return _("due in %(duration)s") % {"duration": duration_phrase(left)}
    return _("overdue by %(duration)s") % {"duration": duration_phrase(left)}


def clock_tone(*, state: str, stage: str, due_at: dt.datetime, now: dt.datetime) -> str:
    """ "breached" (red) or "warned" (amber) for a live clock, "" otherwise; a passed due time reads as breached."""
    if state == ClockState.STOPPED:
        return ""
    if stage == ClockStage.BREACHED or (state == ClockState.RUNNING and due_at <= now):
        return "breached"
    if stage == ClockStage.WARNED:
        return "warned"
    return ""


@register.filter
def clock_relative(clock: RequestClock, now: dt.datetime) -> str:
    """`{{ clock|clock_relative:now }}` → "due in 3 h 10 min"."""
    return clock_phrase(state=clock.state, outcome=clock.outcome, due_at=clock.due_at, now=now)


@register.filter
def clock_level(clock: RequestClock) -> str:
    """`{{ clock|clock_level }}` → the label of the escalation level the clock has reached."""
    return level_label(chain_rung(clock.chain, clock.level))


@register.filter
def clock_class(clock: RequestClock, now: dt.datetime) -> str:
    """`{{ clock|clock_class:now }}` → "clock-breached", "clock-warned" or ""."""
    tone = clock_tone(state=clock.state, stage=clock.stage, due_at=clock.due_at, now=now)
    return f"clock-{tone}" if tone else ""
