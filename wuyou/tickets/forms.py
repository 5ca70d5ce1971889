"""Web forms for service requests: intake, list filters, transitions, dispatch and verification."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

from wuyou.accounts.actors import Actor, Scope
from wuyou.accounts.selectors import engineers_visible, outlets_visible
from wuyou.core.dates import BoundedDateField, BoundedDateTimeField
from wuyou.core.htmx import set_choices
from wuyou.customers.models import Customer
from wuyou.products.selectors import units_visible
from wuyou.tickets.lifecycle import TRANSITIONS
from wuyou.tickets.models import CallType, Channel, Priority, ServiceRequest, Status
from wuyou.tickets.selectors import AT_RISK_HOURS, AT_RISK_HOURS_MAX, AtRiskFilters, Backlog, RequestFilters
from wuyou.tickets.services import RequestDetails, RequestInput

if TYPE_CHECKING:  # the stubs are a development dependency only
    from django_stubs_ext import StrOrPromise

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"

REQUEST_FIELD_MAP = {
    "unit_serial": "unit",
    "address_id": "address",
    "outlet_id": "outlet",
    "engineer_id": "engineer",
}

# Intake facts (tickets.intake) → the verify form's inputs that supply them.
FACT_INPUTS: dict[str, tuple[str, ...]] = {
    "phone": ("contact_phone",),
    "address": ("address",),
    "model": ("reported_model",),
    "purchase_date": ("reported_purchase_date",),
    "symptom": ("symptom",),
    "requested_window": ("window_start", "window_end"),
}
FACT_LABELS = {
    "name": _("customer name"),
    "phone": _("phone"),
    "address": _("address"),
    "model": _("product model"),
    "purchase_date": _("purchase date"),
    "symptom": _("symptom"),
    "requested_window": _("requested time window"),
}


def _datetime_field(label: StrOrPromise) -> forms.DateTimeField:
    return BoundedDateTimeField(
        label=label,
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )


def _date_field(label: StrOrPromise) -> forms.DateField:
    return BoundedDateField(
        label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class RequestOpenForm(forms.Form):
    """A service request as the agent captures it on the phone."""

    call_type = forms.ChoiceField(label=_("Call type"), choices=CallType.choices, initial=CallType.REPAIR)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.HOTLINE)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    unit = forms.ChoiceField(label=_("Unit"), required=False)
    address = forms.TypedChoiceField(label=_("Service address"), coerce=int, required=False, empty_value=None)
    contact_phone = forms.CharField(
        label=_("Contact phone"),
        max_length=30,
        required=False,
        help_text=_("Leave empty to call the customer's own numbers."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    reported_model = forms.CharField(
        label=_("Model as reported"), max_length=50, required=False, help_text=_("When the unit is not registered yet.")
    )
    reported_purchase_date = _date_field(_("Purchase date as reported"))
    symptom = forms.CharField(
        label=_("Symptom / description"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    window_start = _datetime_field(_("Requested from"))
    window_end = _datetime_field(_("Requested until"))
    outlet = forms.TypedChoiceField(label=_("Handling outlet"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: object, actor: Actor, customer: Customer, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.customer = customer
        units = units_visible(actor=actor).filter(owner=customer).order_by("-created_at")
        set_choices(
            self,
            "unit",
            [("", _("— not registered —"))] + [(u.serial, f"{u.serial} · {u.product_model.code}") for u in units],
        )
        set_choices(
            self,
            "address",
            [("", _("Customer's primary address"))] + [(a.pk, a.full_text) for a in customer.addresses.all()],
        )
        if actor.scope is Scope.OUTLET:
            del self.fields["outlet"]
        else:
            set_choices(
                self,
                "outlet",
                [("", _("The customer's outlet"))] + [(o.pk, o.name) for o in outlets_visible(actor=actor)],
            )

    def to_input(self) -> RequestInput:
        """The service input for a valid form."""
        data = self.cleaned_data
        return RequestInput(
            call_type=data["call_type"],
            customer_id=self.customer.pk,
            channel=data["channel"],
            priority=data["priority"],
            unit_serial=data["unit"] or None,
            address_id=data["address"],
            contact_phone=data["contact_phone"] or None,
            reported_model=data["reported_model"],
            reported_purchase_date=data["reported_purchase_date"],
            symptom=data["symptom"],
            window_start=data["window_start"],
            window_end=data["window_end"],
            outlet_id=data.get("outlet"),
        )


YES_NO_ANY = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]


class RequestFilterForm(forms.Form):
    """The request list's filters (GET); an unknown value is ignored, never an error page."""

    call_type = forms.ChoiceField(
        label=_("Call type"), required=False, choices=[("", _("All types")), *CallType.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All states")), ("open", _("All open")), *Status.choices]
    )
    outlet = forms.TypedChoiceField(label=_("Outlet"), coerce=int, required=False, empty_value=None)
    assignee = forms.TypedChoiceField(label=_("Assignee"), coerce=int, required=False, empty_value=None)
    overdue = forms.ChoiceField(label=_("Overdue"), required=False, choices=YES_NO_ANY)
    to_verify = forms.ChoiceField(label=_("To verify"), required=False, choices=YES_NO_ANY)

    def __init__(self, *args: object, actor: Actor, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if actor.scope is Scope.OWN_JOBS:
            del self.fields["outlet"], self.fields["assignee"]
            return
        outlets = list(outlets_visible(actor=actor))
        if len(outlets) > 1:
            set_choices(self, "outlet", [("", _("All outlets"))] + [(o.pk, o.name) for o in outlets])
        else:
            del self.fields["outlet"]
        set_choices(
            self,
            "assignee",
            [("", _("Anyone"))]
            + [
                (e.pk, f"{e.display_name} · {e.outlet}" if len(outlets) > 1 else e.display_name)
                for e in engineers_visible(actor=actor)
            ],
        )

    def to_filters(self) -> RequestFilters:
        """The selector's filters from the valid inputs (invalid ones are dropped)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})

        def yes_no(name: str) -> bool | None:
            value = data.get(name)
            return {"yes": True, "no": False}.get(value) if value else None

        status = data.get("status") or None
        return RequestFilters(
            call_type=data.get("call_type") or None,
            status=None if status == "open" else status,
            open_only=status == "open",
            outlet_id=data.get("outlet"),
            assignee_id=data.get("assignee"),
            overdue=yes_no("overdue"),
            to_verify=yes_no("to_verify"),
        )


class AtRiskFilterForm(forms.Form):
    """The "at risk" list's filters (GET); an invalid value falls back to the default, never an error page."""

    within_hours = forms.IntegerField(
        label=_("Due within (hours)"),
        required=False,
        min_value=0,
        max_value=AT_RISK_HOURS_MAX,
        initial=AT_RISK_HOURS,
        widget=forms.NumberInput(attrs={"min": 0, "max": AT_RISK_HOURS_MAX, "step": 1, "inputmode": "numeric"}),
        help_text=_("Warned and overdue requests are always shown."),
    )
    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("All I can see")), ("mine", _("Mine: assigned to me, or its warnings reach me"))],
    )
    backlog = forms.ChoiceField(
        label=_("Old backlog"),
        required=False,
        choices=[
            ("", _("Left out (summarised below)")),
            (Backlog.ONLY, _("Only the old backlog")),
            (Backlog.INCLUDE, _("Included, at the end")),
        ],
        help_text=_("Requests whose every time limit was breached more than a week ago."),
    )

    def __init__(self, *args: object, actor: Actor, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if actor.scope is Scope.OWN_JOBS:
            del self.fields["show"]  # an engineer sees only his own jobs anyway

    def to_filters(self) -> AtRiskFilters:
        """The selector's filters from the valid inputs (an invalid one takes its default)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        hours = data.get("within_hours")
        return AtRiskFilters(
            within_hours=AT_RISK_HOURS if hours is None else hours,
            mine=data.get("show") == "mine",
            backlog=data.get("backlog") or Backlog.HIDE,
        )


class TransitionForm(forms.Form):
    """One step of the state machine, with the version the agent was looking at."""

    action = forms.ChoiceField(choices=[(a, t.label) for a, t in TRANSITIONS.items()])
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AssignForm(forms.Form):
    """Dispatch to an engineer of the request's outlet."""

    engineer = forms.TypedChoiceField(label=_("Engineer"), coerce=int)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: object, actor: Actor, request_obj: ServiceRequest, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        engineers = engineers_visible(actor=actor, outlet_id=request_obj.outlet_id)
        choices: list[tuple[object, str]] = [(e.pk, e.display_name) for e in engineers]
        current = request_obj.assignee
        if current is None:
            choices.insert(0, ("", "—"))
        else:  # the current assignee is named and preselected (issue 13 item 10), listed even when no longer offered
            choices = [
                (pk, _("%(name)s (assigned now)") % {"name": name} if pk == current.pk else name)
                for pk, name in choices
            ]
            if current.pk not in {pk for pk, _name in choices}:
                choices.insert(0, (current.pk, _("%(name)s (assigned now)") % {"name": current.display_name}))
            self.fields["engineer"].initial = current.pk
        set_choices(self, "engineer", choices)


class VerifyForm(forms.Form):
    """The facts missing at intake; an empty input leaves the fact as it is."""

    address = forms.TypedChoiceField(label=_("Service address"), coerce=int, required=False, empty_value=None)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=30, required=False)
    reported_model = forms.CharField(label=_("Model as reported"), max_length=50, required=False)
    reported_purchase_date = _date_field(_("Purchase date as reported"))
    symptom = forms.CharField(
        label=_("Symptom / description"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    window_start = _datetime_field(_("Requested from"))
    window_end = _datetime_field(_("Requested until"))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: object, request_obj: ServiceRequest, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        set_choices(self, "address", [("", "—")] + [(a.pk, a.full_text) for a in request_obj.customer.addresses.all()])

    def missing_inputs(self, missing: list[str]) -> list[forms.BoundField]:
        """The inputs that supply the missing facts, in capture order."""
        names = [name for fact in missing for name in FACT_INPUTS.get(fact, ())]
        return [self[name] for name in names]

    def to_details(self) -> RequestDetails:
        """The service input: only what was filled in."""
        data = self.cleaned_data
        return RequestDetails(
            address_id=data["address"],
            contact_phone=data["contact_phone"] or None,
            reported_model=data["reported_model"] or None,
            reported_purchase_date=data["reported_purchase_date"],
            symptom=data["symptom"] or None,
            window_start=data["window_start"],
            window_end=data["window_end"],
        )


class AuthorityReportForm(forms.Form):
    """The manager's written report on a complaint an authority transferred (12315, regulator)."""

    report = forms.CharField(
        label=_("Report to the authority"),
        min_length=20,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What was found, what was done, and the customer's answer."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
