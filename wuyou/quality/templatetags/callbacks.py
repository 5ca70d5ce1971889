"""The request page's quality panels: "resolve by phone guidance" and the request's callbacks.

Template tags, so that the tickets app shows them without importing quality (quality depends on tickets).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from wuyou.accounts.actors import NOBODY, Actor
from wuyou.quality.forms import PhoneGuidanceForm
from wuyou.quality.selectors import callbacks_of_request, phone_guidance_offered
from wuyou.tickets.models import ServiceRequest

register = template.Library()


def _actor(context: template.Context) -> Actor:
    actor = context.get("actor")
    return actor if isinstance(actor, Actor) else NOBODY


@register.inclusion_tag("quality/phone_guidance_form.html", takes_context=True)
def phone_guidance_form(context: template.Context, sr: ServiceRequest) -> dict[str, Any]:
    """`{% phone_guidance_form sr %}`: the form for desk roles on an open request, nothing otherwise."""
    offered = phone_guidance_offered(actor=_actor(context), request=sr)
    return {
        "sr": sr,
        "form": PhoneGuidanceForm(initial={"version": sr.version}) if offered else None,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("quality/request_callbacks.html", takes_context=True)
def request_callbacks(context: template.Context, sr: ServiceRequest) -> dict[str, Any]:
    """`{% request_callbacks sr %}`: the request's callbacks the actor may see (nothing when there are none)."""
    actor = _actor(context)
    callbacks = list(callbacks_of_request(actor=actor, request=sr))
    now = timezone.now()
    for callback in callbacks:
        callback.overdue = callback.is_overdue(now)  # type: ignore[attr-defined]
    return {"callbacks": callbacks, "actor": actor}
