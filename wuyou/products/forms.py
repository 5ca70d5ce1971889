"""Web form for registering a unit to a customer."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wuyou.accounts.actors import Actor
from wuyou.accounts.selectors import outlets_visible
from wuyou.core.dates import BoundedDateField
from wuyou.core.htmx import set_choices
from wuyou.customers.models import Customer
from wuyou.products.selectors import product_models_active
from wuyou.products.services import UnitInput

UNIT_FIELD_MAP = {
    "model_code": "model",
    "selling_outlet_id": "selling_outlet",
    "install_address_id": "install_address",
}


class UnitRegisterForm(forms.Form):
    """A unit as read off its nameplate and the customer's invoice."""

    serial = forms.CharField(
        label=_("Serial number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    model = forms.ChoiceField(label=_("Product model"))
    purchase_date = BoundedDateField(
        label=_("Purchase date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    selling_outlet = forms.TypedChoiceField(label=_("Selling outlet"), coerce=int, required=False, empty_value=None)
    installed_on = BoundedDateField(
        label=_("Installation date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    install_address = forms.TypedChoiceField(label=_("Installed at"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: object, actor: Actor, owner: Customer, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        set_choices(self, "model", [("", "—")] + [(m.code, f"{m.code} · {m.name}") for m in product_models_active()])
        set_choices(self, "selling_outlet", [("", "—")] + [(o.pk, o.name) for o in outlets_visible(actor=actor)])
        set_choices(self, "install_address", [("", "—")] + [(a.pk, a.full_text) for a in owner.addresses.all()])

    def to_input(self) -> UnitInput:
        """The service input for a valid form."""
        data = self.cleaned_data
        return UnitInput(
            serial=data["serial"],
            model_code=data["model"],
            purchase_date=data["purchase_date"],
            selling_outlet_id=data["selling_outlet"],
            installed_on=data["installed_on"],
            install_address_id=data["install_address"],
        )
