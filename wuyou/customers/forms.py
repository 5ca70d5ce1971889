"""Web forms of the customer archive: parse what the agent typed; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wuyou.accounts.actors import Actor, Scope
from wuyou.accounts.selectors import outlets_visible
from wuyou.core.htmx import set_choices
from wuyou.customers.models import Address, ContactWindow, Customer, TimelineEntry
from wuyou.customers.services import AddressEdit, AddressInput, ContactWindowInput, CustomerEdit, CustomerInput

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
# The edit form: every phone in one box, the primary address, the first contact window.
EDIT_FIELD_MAP = CUSTOMER_FIELD_MAP | {
    "phones": "phones",
    "phones[0]": "phones",
    "phones[1]": "phones",
    "addresses[0].city": "city",
    "addresses[0].district": "district",
    "addresses[0].detail": "detail",
    "addresses[0].latitude": "latitude",
    "addresses[0].longitude": "longitude",
    "contact_windows[0].days": "window_days",
    "contact_windows[0].starts_at": "window_from",
    "contact_windows[0].ends_at": "window_until",
    "version": "__all__",
}


def typed_window(data: dict[str, Any]) -> list[ContactWindowInput]:
    """The contact window typed on a customer form (days, from, until), or none when either time is left empty."""
    if not (data.get("window_from") and data.get("window_until")):
        return []
    return [
        ContactWindowInput(
            days=data.get("window_days") or ContactWindow.Days.ANY,
            starts_at=data["window_from"],
            ends_at=data["window_until"],
        )
    ]


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
    # Shown with the duplicate warning only (customers/customer_new.html): file a second record on purpose.
    file_anyway = forms.BooleanField(label=_("File anyway: this is another person"), required=False)

    def __init__(self, *args: object, actor: Actor, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        outlets = [(o.pk, o.name) for o in outlets_visible(actor=actor)]
        if actor.scope is Scope.OUTLET:
            # Outlet staff file customers under their own outlet (shown, preselected); the service enforces it too.
            set_choices(self, "outlet", [(pk, name) for pk, name in outlets if pk == actor.outlet_id])
            self.fields["outlet"].initial = actor.outlet_id
        else:
            # Left empty, the address is placed on the map (wuyou.core.geocoding) and the nearest outlet serves it;
            # an address that cannot be placed is refused until the agent chooses.
            set_choices(self, "outlet", [("", _("Nearest outlet to the address"))] + outlets)
            self.fields["outlet"].help_text = _(
                "Left empty, the address is placed on the map and the nearest outlet serves it."
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
        windows = typed_window(data)
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


class CustomerEditForm(forms.Form):
    """A customer's record as the agent corrects it; `version` is the record the form was drawn from."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Customer.Kind.choices)
    contact_person = forms.CharField(label=_("Contact person"), max_length=100, required=False)
    phones = forms.CharField(
        label=_("Phones"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "inputmode": "tel", "autocomplete": "off"}),
        help_text=_("One number a line; the first is the primary."),
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
    consent_service_calls = forms.BooleanField(label=_("Consents to service calls and callbacks"), required=False)
    consent_marketing = forms.BooleanField(label=_("Consents to marketing"), required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        self.customer = customer
        self.other_addresses = list(customer.addresses.all())
        primary = self.other_addresses.pop(0) if self.other_addresses else None
        self.primary_address = primary
        self.other_windows = list(customer.contact_windows.order_by("pk"))
        window = self.other_windows.pop(0) if self.other_windows else None
        initial = {
            "version": customer.version,
            "name": customer.name,
            "kind": customer.kind,
            "contact_person": customer.contact_person,
            "phones": "\n".join(customer.phones.values_list("number", flat=True)),
            "dont_call_at_work": customer.dont_call_at_work,
            "consent_service_calls": customer.consent_service_calls,
            "consent_marketing": customer.consent_marketing,
            "note": customer.note,
        }
        if primary is not None:
            initial |= {
                "city": primary.city,
                "district": primary.district,
                "detail": primary.detail,
                "latitude": None if primary.latitude is None else float(primary.latitude),
                "longitude": None if primary.longitude is None else float(primary.longitude),
            }
        if window is not None:
            initial |= {"window_days": window.days, "window_from": window.starts_at, "window_until": window.ends_at}
        kwargs["initial"] = initial | dict(kwargs.get("initial") or {})
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        days, start, end = cleaned.get("window_days"), cleaned.get("window_from"), cleaned.get("window_until")
        if (start or end or days) and not (start and end):
            self.add_error("window_until" if start else "window_from", _("Give both ends of the contact window."))
        return cleaned

    def to_edit(self) -> CustomerEdit:
        """The service input for a valid form: the addresses and windows it does not show are kept as they are."""
        data = self.cleaned_data
        addresses = [AddressEdit(**_address_values(a), id=a.pk) for a in self.other_addresses]
        if any(data.get(k) not in (None, "") for k in ("city", "district", "detail", "latitude", "longitude")):
            primary_id = self.primary_address.pk if self.primary_address else None
            addresses.insert(
                0,
                AddressEdit(
                    id=primary_id,
                    city=data["city"],
                    district=data["district"],
                    detail=data["detail"],
                    label=self.primary_address.label if self.primary_address else "",
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                ),
            )
        windows = typed_window(data) + [
            ContactWindowInput(days=w.days, starts_at=w.starts_at, ends_at=w.ends_at) for w in self.other_windows
        ]
        return CustomerEdit(
            name=data["name"],
            kind=data["kind"],
            contact_person=data["contact_person"],
            phones=[line.strip() for line in data["phones"].splitlines() if line.strip()],
            addresses=addresses,
            contact_windows=windows,
            dont_call_at_work=data["dont_call_at_work"],
            consent_service_calls=data["consent_service_calls"],
            consent_marketing=data["consent_marketing"],
            note=data["note"],
        )


def _address_values(address: Address) -> dict[str, Any]:
    return {
        "city": address.city,
        "district": address.district,
        "detail": address.detail,
        "label": address.label,
        "latitude": None if address.latitude is None else float(address.latitude),
        "longitude": None if address.longitude is None else float(address.longitude),
    }


class MergeSearchForm(forms.Form):
    """Find the duplicate record to merge into this one."""

    q = forms.CharField(label=_("Phone or name of the other record"), max_length=100, required=False, strip=True)


class MergeForm(forms.Form):
    """The manager's confirmation of a merge after the preview."""

    other_id = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**53)
    confirm = forms.BooleanField(
        label=_("I checked: both records are the same customer. Merge them (this cannot be undone)."), required=True
    )


class AddressPlaceForm(forms.Form):
    """A new map point for one of the customer's addresses (clicked on the map or typed in)."""

    address_id = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    latitude = forms.FloatField(label=_("Latitude"), widget=forms.NumberInput(attrs={"step": "any"}))
    longitude = forms.FloatField(label=_("Longitude"), widget=forms.NumberInput(attrs={"step": "any"}))
