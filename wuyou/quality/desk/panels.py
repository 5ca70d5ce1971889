"""The request page's complaint panel (registered with tickets' page panels in QualityConfig): on a complaint
request, the desk screen of its complaint, or the form that registers it."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string

from wuyou.accounts.actors import Actor
from wuyou.quality.desk.views import complaint_registrable, desk_context, register_form
from wuyou.quality.selectors import complaint_of_request
from wuyou.tickets.models import CallType, ServiceRequest


def request_complaint_panel(request: HttpRequest, actor: Actor, sr: ServiceRequest) -> str:
    """The complaint's desk screen for the actor, the register form when it has none yet, nothing otherwise."""
    if sr.call_type != CallType.COMPLAINT or not actor.can_run_desk:
        return ""
    complaint = complaint_of_request(actor=actor, request=sr)
    if complaint is not None:
        context = desk_context(request, actor, complaint)
        return render_to_string("quality/complaints/panel.html", context, request=request)
    if not complaint_registrable(actor, sr):
        return ""
    context = {"sr": sr, "form": register_form(actor, sr)}
    return render_to_string("quality/complaints/register_form.html", context, request=request)
