"""`{% visit_payment_card wo %}`: the visit page's payment card, drawn for the acting user (R-B5).

The visit page belongs to fieldservice; this tag lets its template show the card without its view knowing of it.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from wuyou.accounts.views import actor_of
from wuyou.dispatch.models import WorkOrder
from wuyou.fees.views.payments import payment_card

register = template.Library()


@register.simple_tag(takes_context=True)
def visit_payment_card(context: Any, wo: WorkOrder) -> SafeString | str:
    """The card once the customer agreed to a quote; nothing before."""
    request = context.get("request")
    if request is None or wo is None:
        return ""
    card = payment_card(actor_of(request), wo)
    if not card["money"].agreed:
        return ""
    return render_to_string(
        "fees/includes/payment_card.html", {"card": card, "back": request.get_full_path()}, request=request
    )
