"""The customer's units panel, unit registration and the unit's own history page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import trigger_client_event

from wuyou.accounts.actors import Actor, Scope
from wuyou.accounts.views import actor_of, staff_view
from wuyou.core.errors import DomainError, NotFound
from wuyou.core.htmx import apply_domain_error, found_or_404, render_page_or_partial, wants_partial
from wuyou.customers.models import Customer
from wuyou.customers.selectors import customer_get
from wuyou.products import selectors, services
from wuyou.products.forms import UNIT_FIELD_MAP, UnitRegisterForm
from wuyou.products.models import Unit


def _panel_context(actor: Actor, customer: Customer, form: UnitRegisterForm | None = None) -> dict[str, Any]:
    units = selectors.units_visible(actor=actor).filter(owner=customer).order_by("-created_at", "-id")
    return {
        "customer": customer,
        "units": list(units),
        "can_run_desk": actor.can_run_desk,
        "unit_form": form or UnitRegisterForm(actor=actor, owner=customer),
    }


@require_http_methods(["GET", "POST"])
@staff_view
def customer_units(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The units a customer owns, with the form to register one (POST registers it)."""
    actor = actor_of(request)
    customer = found_or_404(request, customer_get, actor=actor, customer_id=customer_id)
    if request.method == "GET":
        return render_page_or_partial(request, "products/customer_units.html", "panel", _panel_context(actor, customer))
    form = UnitRegisterForm(request.POST, actor=actor, owner=customer)
    status = 422
    if form.is_valid():
        try:
            unit = services.unit_register(actor=actor, owner=customer, registration=form.to_input())
        except DomainError as exc:
            apply_domain_error(form, exc, UNIT_FIELD_MAP)
            status = exc.status if exc.status in (403, 409) else 422
        else:
            if not wants_partial(request):
                messages.success(request, _("Unit %(serial)s registered.") % {"serial": unit.serial})
                return redirect("customers:detail", customer_id=customer.pk)
            context = _panel_context(actor, customer) | {"registered": unit}
            response = render(request, "products/customer_units.html#panel", context)
            return trigger_client_event(trigger_client_event(response, "customer-changed"), "units-changed")
    return render_page_or_partial(
        request, "products/customer_units.html", "panel", _panel_context(actor, customer, form), status=status
    )


def _unit_get(actor: Actor, unit_id: int) -> Unit:
    unit = selectors.units_visible(actor=actor).select_related("install_address").filter(pk=unit_id).first()
    if unit is None:
        raise NotFound(_("Unit not found."), field="unit_id")
    return unit


@require_GET
@staff_view
def unit_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    """A unit's facts and its own history across owners."""
    actor = actor_of(request)
    unit = found_or_404(request, _unit_get, actor=actor, unit_id=unit_id)
    events = list(selectors.unit_history(actor=actor, unit=unit)[:200])
    return render(
        request,
        "products/unit_detail.html",
        {
            "unit": unit,
            "events": events,
            # Engineers see addresses on their active jobs only.
            "show_address": actor.scope is not Scope.OWN_JOBS,
        },
    )
