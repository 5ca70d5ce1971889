"""The request page's quality panels, registered with tickets' page panels (wuyou.tickets.panels) in QualityConfig:
"resolve by phone guidance" and the request's callbacks.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from wuyou.accounts.actors import Actor
from wuyou.quality.forms import PhoneGuidanceForm
from wuyou.quality.selectors import callbacks_of_request, phone_guidance_offered
from wuyou.tickets.models import ServiceRequest


def phone_guidance_panel(request: HttpRequest, actor: Actor, sr: ServiceRequest) -> str:
    """The form for desk roles on an open request, nothing otherwise."""
    if not phone_guidance_offered(actor=actor, request=sr):
        return ""
    context = {"sr": sr, "form": PhoneGuidanceForm(initial={"version": sr.version})}
    return render_to_string("quality/phone_guidance_form.html", context, request=request)


def request_callbacks_panel(request: HttpRequest, actor: Actor, sr: ServiceRequest) -> str:
    """The request's callbacks the actor may see (nothing when there are none)."""
    callbacks = list(callbacks_of_request(actor=actor, request=sr))
    if not callbacks:
        return ""
    now = timezone.now()
    for callback in callbacks:
        callback.overdue = callback.is_overdue(now)  # type: ignore[attr-defined]
    return render_to_string("quality/request_callbacks.html", {"callbacks": callbacks, "actor": actor}, request=request)
