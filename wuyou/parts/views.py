"""Spare-parts screens (issue 5 item 4, R-F4): stock per place and its ledger, the catalogue, requisitions.

Thin views over wuyou.parts: the selectors scope what is shown (another outlet's place or requisition is a
404), the services decide who may act and say why not; their messages appear next to the field at fault.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from wuyou.accounts.actors import Actor
from wuyou.accounts.views import actor_of, require_desk_or_field, staff_view
from wuyou.core.errors import DomainError
from wuyou.core.htmx import (
    KEPT_WITH_NOT_FOUND,
    apply_domain_error,
    found_or_404,
    refusal_status,
    render_page_or_partial,
    set_choices,
)
from wuyou.parts import selectors as parts_selectors
from wuyou.parts.models import Requisition, RequisitionStatus, StockPlace, StockPlaceKind
from wuyou.parts.selectors import (
    low_stock,
    parts_catalogue,
    requisition_get,
    requisitions_visible,
    stock_levels,
    stock_moves,
    stock_place_get,
)
from wuyou.parts.services import (
    MAX_COUNTED,
    MAX_QUANTITY,
    STOCK_MANAGER_ROLES,
    PartQuantity,
    part_receive,
    requisition_approve,
    requisition_destinations,
    requisition_fulfil,
    requisition_reject,
    requisition_request,
    stock_adjust,
)

LEDGER_PAGE_SIZE = 50
LIST_PAGE_SIZE = 50
REQUISITION_LINES = 5  # rows on the new-requisition form; more parts go on a second requisition
PART_FIELD_MAP = {"part": "part_code", "place": "__all__", "status": "__all__"}


# -- forms ---------------------------------------------------------------------------------------------------------


class ReceiveForm(forms.Form):
    """Parts arriving from a supplier into a store."""

    part_code = forms.CharField(label=gettext_lazy("Part code"), max_length=40)
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1, max_value=MAX_QUANTITY)
    serial = forms.CharField(label=gettext_lazy("Serial number"), max_length=64, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)


class AdjustForm(forms.Form):
    """A count correction: what was counted on the shelf, and why it differs."""

    part_code = forms.CharField(label=gettext_lazy("Part code"), max_length=40)
    counted = forms.IntegerField(label=gettext_lazy("Counted"), min_value=0, max_value=MAX_COUNTED)
    note = forms.CharField(label=gettext_lazy("Reason"), max_length=300)


class RequisitionForm(forms.Form):
    """Ask for parts for a van or a store: a few lines of part code and quantity."""

    destination = forms.TypedChoiceField(label=gettext_lazy("For"), coerce=int)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, destinations: list[StockPlace], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "destination", [(p.pk, str(p)) for p in destinations])
        for n in range(1, REQUISITION_LINES + 1):
            self.fields[f"part_{n}"] = forms.CharField(label=gettext_lazy("Part code"), max_length=40, required=False)
            self.fields[f"quantity_{n}"] = forms.IntegerField(
                label=gettext_lazy("Quantity"), min_value=1, max_value=MAX_QUANTITY, required=False
            )

    def line_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        """The (part, quantity) inputs of each line, for the template."""
        return [(self[f"part_{n}"], self[f"quantity_{n}"]) for n in range(1, REQUISITION_LINES + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        known = set(
            parts_catalogue()
            .filter(code__in=[data.get(f"part_{n}") for n in range(1, REQUISITION_LINES + 1)])
            .values_list("code", flat=True)
        )
        lines: list[PartQuantity] = []
        for n in range(1, REQUISITION_LINES + 1):
            code = (data.get(f"part_{n}") or "").strip()
            quantity = data.get(f"quantity_{n}")
            if not code and quantity is None:
                continue
            if not code:
                self.add_error(f"part_{n}", _("Enter the part code."))
            elif code not in known:
                self.add_error(f"part_{n}", _("No such part in the catalogue."))
            if quantity is None and f"quantity_{n}" not in self.errors:
                self.add_error(f"quantity_{n}", _("Enter the quantity."))
            if code and quantity is not None:
                lines.append(PartQuantity(code, quantity))
        if not lines and not self.errors:
            self.add_error("part_1", _("Ask for at least one part."))
        data["lines"] = lines
        return data


class RejectForm(forms.Form):
    """Why the manager refuses a requisition."""

    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)


# -- stock ---------------------------------------------------------------------------------------------------------


@require_http_methods(["GET"])
@staff_view
def stock_overview(request: HttpRequest) -> HttpResponse:
    """The places the actor sees with their levels, low stock on top."""
    actor = actor_of(request)
    require_desk_or_field(actor)
    context = {"places": parts_selectors.stock_overview(actor=actor), "low": low_stock(actor=actor)}
    return render(request, "parts/stock.html", context)


def _place_page(
    request: HttpRequest,
    actor: Actor,
    place: StockPlace,
    *,
    receive_form: ReceiveForm | None = None,
    adjust_form: AdjustForm | None = None,
    status: int = 200,
) -> HttpResponse:
    may_receive = actor.can_run_desk and place.kind != StockPlaceKind.VAN
    may_adjust = actor.role in STOCK_MANAGER_ROLES
    ledger = Paginator(stock_moves(actor=actor, place_id=place.pk), LEDGER_PAGE_SIZE)
    context = {
        "place": place,
        "levels": stock_levels(actor=actor, place_id=place.pk),
        "page": ledger.get_page(request.GET.get("page")),
        # A posted form is shown with its errors even to whom it is not offered (the refusal says why).
        "receive_form": receive_form or (ReceiveForm() if may_receive else None),
        "adjust_form": adjust_form or (AdjustForm() if may_adjust else None),
    }
    return render_page_or_partial(request, "parts/place.html", "results", context, status=status)


@require_http_methods(["GET"])
@staff_view
def place_detail(request: HttpRequest, place_id: int) -> HttpResponse:
    """A place's levels and its ledger (newest first, paginated); managers' receive and count forms."""
    actor = actor_of(request)
    place = found_or_404(request, stock_place_get, actor=actor, place_id=place_id)
    require_desk_or_field(actor)
    return _place_page(request, actor, place)


@require_POST
@staff_view
def place_receive(request: HttpRequest, place_id: int) -> HttpResponse:
    """Book parts in (part_receive); errors next to the field, nothing written."""
    actor = actor_of(request)
    place = found_or_404(request, stock_place_get, actor=actor, place_id=place_id)
    form = ReceiveForm(request.POST)
    if form.is_valid():
        try:
            move = part_receive(
                actor=actor,
                place_id=place.pk,
                part_code=form.cleaned_data["part_code"],
                quantity=form.cleaned_data["quantity"],
                serial=form.cleaned_data["serial"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc, PART_FIELD_MAP)
            return _place_page(
                request, actor, place, receive_form=form, status=refusal_status(exc, kept=KEPT_WITH_NOT_FOUND)
            )
        messages.success(
            request, _("Booked in: %(part)s × %(n)d.") % {"part": move.part.name, "n": form.cleaned_data["quantity"]}
        )
        return redirect("parts:place", place_id=place.pk)
    return _place_page(request, actor, place, receive_form=form, status=422)


@require_POST
@staff_view
def place_adjust(request: HttpRequest, place_id: int) -> HttpResponse:
    """A manager's count correction (stock_adjust) with the reason; errors next to the field."""
    actor = actor_of(request)
    place = found_or_404(request, stock_place_get, actor=actor, place_id=place_id)
    form = AdjustForm(request.POST)
    if form.is_valid():
        try:
            move = stock_adjust(
                actor=actor,
                place_id=place.pk,
                part_code=form.cleaned_data["part_code"],
                counted=form.cleaned_data["counted"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc, PART_FIELD_MAP)
            return _place_page(
                request, actor, place, adjust_form=form, status=refusal_status(exc, kept=KEPT_WITH_NOT_FOUND)
            )
        messages.success(
            request, _("Count corrected: %(part)s %(delta)+d.") % {"part": move.part.name, "delta": move.quantity}
        )
        return redirect("parts:place", place_id=place.pk)
    return _place_page(request, actor, place, adjust_form=form, status=422)


# -- catalogue -----------------------------------------------------------------------------------------------------


@require_http_methods(["GET"])
@staff_view
def catalogue(request: HttpRequest) -> HttpResponse:
    """The parts with cost and retail prices, searched by code or name."""
    actor = actor_of(request)
    require_desk_or_field(actor)
    query = request.GET.get("q", "")[:100]
    page = Paginator(parts_catalogue(query=query), LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page_or_partial(request, "parts/catalogue.html", "results", {"page": page, "q": query})


# -- requisitions --------------------------------------------------------------------------------------------------


@require_http_methods(["GET"])
@staff_view
def requisition_list(request: HttpRequest) -> HttpResponse:
    """Requisitions from or to the actor's places, newest first, filtered by status."""
    actor = actor_of(request)
    require_desk_or_field(actor)
    status = request.GET.get("status", "")
    qs = requisitions_visible(actor=actor).select_related("requested_by__staff").order_by("-created_at", "-pk")
    if status in RequisitionStatus.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    page = Paginator(qs, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "statuses": RequisitionStatus.choices}
    return render_page_or_partial(request, "parts/requisitions.html", "results", context)


@require_http_methods(["GET", "POST"])
@staff_view
def requisition_new(request: HttpRequest) -> HttpResponse:
    """Ask for parts: an engineer for his van (from his outlet), outlet staff for the store (from head office)."""
    actor = actor_of(request)
    require_desk_or_field(actor)
    destinations = requisition_destinations(actor=actor)
    status = 200
    if request.method == "POST":
        form = RequisitionForm(request.POST, destinations=destinations)
        if form.is_valid():
            try:
                requisition = requisition_request(
                    actor=actor,
                    destination_id=form.cleaned_data["destination"],
                    lines=form.cleaned_data["lines"],
                    note=form.cleaned_data["note"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc, {"part": "part_1", "quantity": "quantity_1", "place": "destination"})
                status = refusal_status(exc, kept=KEPT_WITH_NOT_FOUND)
            else:
                messages.success(request, _("Requisition #%(n)d sent for approval.") % {"n": requisition.pk})
                return redirect("parts:requisition", requisition_id=requisition.pk)
        else:
            status = 422
    else:
        form = RequisitionForm(destinations=destinations)
    return render(request, "parts/requisition_new.html", {"form": form}, status=status)


def _requisition_page(
    request: HttpRequest,
    actor: Actor,
    requisition: Requisition,
    *,
    reject_form: RejectForm | None = None,
    alert: str = "",
    status: int = 200,
) -> HttpResponse:
    deciding = requisition.status == RequisitionStatus.REQUESTED and actor.role in STOCK_MANAGER_ROLES
    context = {
        "requisition": requisition,
        "lines": requisition.lines.select_related("part").order_by("part__code"),
        "may_decide": deciding,
        "may_fulfil": requisition.status == RequisitionStatus.APPROVED and actor.can_run_desk,
        "reject_form": reject_form or RejectForm(),
        "alert": alert,
    }
    return render(request, "parts/requisition.html", context, status=status)


@require_http_methods(["GET"])
@staff_view
def requisition_detail(request: HttpRequest, requisition_id: int) -> HttpResponse:
    """A requisition's lines and state, with approve / reject / fulfil for those who may."""
    actor = actor_of(request)
    requisition = found_or_404(request, requisition_get, actor=actor, requisition_id=requisition_id)
    return _requisition_page(request, actor, requisition)


@require_POST
@staff_view
def requisition_decide(request: HttpRequest, requisition_id: int, action: str) -> HttpResponse:
    """Approve, reject (with the reason) or fulfil; a refusal shows the service's message, nothing changes."""
    actor = actor_of(request)
    requisition = found_or_404(request, requisition_get, actor=actor, requisition_id=requisition_id)
    reject_form = RejectForm(request.POST) if action == "reject" else None
    if reject_form is not None and not reject_form.is_valid():
        return _requisition_page(request, actor, requisition, reject_form=reject_form, status=422)
    try:
        if action == "approve":
            requisition_approve(actor=actor, requisition_id=requisition.pk)
            done = _("Requisition approved.")
        elif action == "fulfil":
            requisition_fulfil(actor=actor, requisition_id=requisition.pk)
            done = _("Requisition shipped: the parts moved.")
        else:
            assert reject_form is not None
            reason = reject_form.cleaned_data["reason"]
            requisition_reject(actor=actor, requisition_id=requisition.pk, reason=reason)
            done = _("Requisition rejected.")
    except DomainError as exc:
        if reject_form is not None and exc.field == "reason":
            apply_domain_error(reject_form, exc)
        fresh = requisition_get(actor=actor, requisition_id=requisition.pk)
        alert = "" if exc.field == "reason" else exc.message
        return _requisition_page(
            request,
            actor,
            fresh,
            reject_form=reject_form,
            alert=alert,
            status=refusal_status(exc, kept=KEPT_WITH_NOT_FOUND),
        )
    messages.success(request, done)
    return redirect("parts:requisition", requisition_id=requisition.pk)
