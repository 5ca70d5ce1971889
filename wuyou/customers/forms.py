"""Web forms of the customer archive: parse what the agent typed; the services decide what is valid."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wuyou.accounts.actors import Actor, Scope
from wuyou.accounts.selectors import outlets_visible
from wuyou.core.htmx import set_choices
from wuyou.customers.models import ContactWindow, Customer, TimelineEntry
from wuyou.customers.services import AddressInput, ContactWindowInput, CustomerInput

# Service field paths → form inputs (apply_domain_error also tries the path without its index).
CUSTOMER_FIELD_MAP = {
    "phones": "phone_1",
    "phones[0]": "phone_1",
    "phones[1]": "phone_2",
    "addresses.city": "city",
    "addresses.district": "district",
    "addresses.detail": "detail",
    "addresses.latitude": "latitude",
    "addresses.longitude": "longitude",
    "contact_windows.days": "window_days",
    "contact_windows.starts_at": "window_from",
    "contact_windows.ends_at": "window_until",
    "outlet_id": "outlet",
}


class CustomerSearchForm(forms.Form):
    """The console's one box: phone, serial, name or address."""

    q = forms.CharField(label=_("Search"), max_length=100, required=False, strip=True)


class CustomerCreateForm(forms.Form):
    """A new customer as the agent captures it on the phone."""

    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Customer.Kind.choices, initial=Customer.Kind.PERSON)
    contact_person = forms.CharField(label=_("Contact person"), max_length=100, required=False)
    phone_1 = forms.CharField(
        label=_("Phone"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})
    )
    phone_2 = forms.CharField(
        label=_("Second phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    city = forms.CharField(label=_("City"), max_length=50, required=False)
    district = forms.CharField(label=_("District"), max_length=50, required=False)
    detail = forms.CharField(label=_("Street address"), max_length=200, required=False)
    latitude = forms.FloatField(label=_("Latitude"), required=False, widget=forms.NumberInput(attrs={"step": "any"}))
    longitude = forms.FloatField(label=_("Longitude"), required=False, widget=forms.NumberInput(attrs={"step": "any"}))
    window_days = forms.ChoiceField(
        label=_("Preferred contact days"), required=False, choices=[("", "—"), *ContactWindow.Days.choices]
    )
    window_from = forms.TimeField(label=_("from"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    window_until = forms.TimeField(label=_("until"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    dont_call_at_work = forms.BooleanField(label=_("Don't call at work"), required=False)
    consent_service_calls = forms.BooleanField(
        label=_("Consents to service calls and callbacks"), required=False, initial=True
    )
    consent_marketing = forms.BooleanField(label=_("Consents to marketing"), required=False)
    outlet = forms.TypedChoiceField(label=_("Outlet"), coerce=int, required=False, empty_value=None)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: object, actor: Actor, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if actor.scope is Scope.OUTLET:
            # Outlet staff file customers under their own outlet; the service enforces it too.
            del self.fields["outlet"]
        else:
            set_choices(
                self,
                "outlet",
                [("", _("Nearest outlet to the address"))] + [(o.pk, o.name) for o in outlets_visible(actor=actor)],
            )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        days, start, end = cleaned.get("window_days"), cleaned.get("window_from"), cleaned.get("window_until")
        if (start or end or days) and not (start and end):
            self.add_error("window_until" if start else "window_from", _("Give both ends of the contact window."))
        return cleaned

    def to_input(self) -> CustomerInput:
        """The service input for a valid form."""
        data = self.cleaned_data
        phones = [p for p in (data["phone_1"], data.get("phone_2") or "") if p.strip()]
        addresses = []
        if any(data.get(k) not in (None, "") for k in ("city", "district", "detail", "latitude", "longitude")):
            addresses.append(
                AddressInput(
                    city=data["city"],
                    district=data["district"],
                    detail=data["detail"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                )
            )
        windows = []
        if data.get("window_from") and data.get("window_until"):
            windows.append(
                ContactWindowInput(
                    days=data.get("window_days") or ContactWindow.Days.ANY,
                    starts_at=data["window_from"],
                    ends_at=data["window_until"],
                )
            )
        return CustomerInput(
            name=data["name"],
            kind=data["kind"],
            contact_person=data["contact_person"],
            phones=phones,
            addresses=addresses,
            contact_windows=windows,
            outlet_id=data.get("outlet"),
            dont_call_at_work=data["dont_call_at_work"],
            consent_service_calls=data["consent_service_calls"],
            consent_marketing=data["consent_marketing"],
            note=data["note"],
        )


class RevealPhonesForm(forms.Form):
    """Why the agent needs the full number (logged with the reveal)."""

    reason = forms.CharField(label=_("Reason"), max_length=200)


class NoteForm(forms.Form):
    """A call note on the customer's timeline."""

    summary = forms.CharField(label=_("Summary"), max_length=500)
    body = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    phase = forms.ChoiceField(
        label=_("Phase"), choices=TimelineEntry.Phase.choices, initial=TimelineEntry.Phase.AFTER_SALES
    )


class AnonymiseRequestForm(forms.Form):
    """The customer's request to be erased, as the desk files it (a second person approves it)."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("How and when the customer asked to be erased (PIPL art. 47)."),
    )


class AnonymiseDecideForm(forms.Form):
    """The approver's answer to an anonymisation request; a rejection says why."""

    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve and anonymise")), ("reject", _("Reject"))]
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False, help_text=_("Required when rejecting."))
