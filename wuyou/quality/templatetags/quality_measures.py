"""Template filters of measured quality: whether the acting user's role reads the /quality/ page (the nav link)."""

from __future__ import annotations

from django import template

from wuyou.accounts.actors import Actor
from wuyou.quality.measured import sees_measured_quality

register = template.Library()


@register.filter
def reads_quality(actor: Actor | None) -> bool:
    """True for the roles the /quality/ page is for (managers, follow-up staff, administrators)."""
    return actor is not None and isinstance(actor, Actor) and sees_measured_quality(actor)
