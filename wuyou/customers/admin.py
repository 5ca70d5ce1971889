"""Django admin for the customer archive: customers with phones, addresses, contact windows; the reveal log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from wuyou.core.geo import check_coordinates
from wuyou.core.masking import mask_phone
from wuyou.core.phones import InvalidPhone, parse_phone
from wuyou.customers.models import Address, ContactWindow, Customer, CustomerPhone, PersonalDataReveal


class CustomerPhoneForm(forms.ModelForm):
    """A phone as typed: normalised like the console does, its kind derived from the number."""

    class Meta:
        model = CustomerPhone
        fields = ("number", "label", "is_primary")

    def clean_number(self) -> str:
        try:
            phone = parse_phone(self.cleaned_data["number"])
        except InvalidPhone:
            raise forms.ValidationError(
                _("Not a mainland mobile (11 digits, 1[3-9]…) or landline (area code + 7–8 digits) number.")
            ) from None
        self.instance.kind = phone.kind
        return phone.number


class CustomerPhoneInline(admin.TabularInline):
    model = CustomerPhone
    form = CustomerPhoneForm
    extra = 0


class AddressForm(forms.ModelForm):
    """An address with coordinates checked as the services check them."""

    class Meta:
        model = Address
        fields = ("label", "city", "district", "detail", "latitude", "longitude", "is_primary")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        lat, lng = cleaned.get("latitude"), cleaned.get("longitude")
        for name, message in check_coordinates(
            float(lat) if lat is not None else None, float(lng) if lng is not None else None
        ).items():
            self.add_error(name, message)
        return cleaned


class AddressInline(admin.StackedInline):
    model = Address
    form = AddressForm
    extra = 0


class ContactWindowInline(admin.TabularInline):
    model = ContactWindow
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    """Customers with their phones, addresses and preferred contact windows."""

    list_display = ("name", "kind", "primary_phone", "outlet", "dont_call_at_work", "created_at")
    list_filter = ("kind", "outlet__region", "outlet", "dont_call_at_work", "consent_marketing")
    search_fields = ("name", "=phones__number", "addresses__detail", "units__serial")
    list_select_related = ("outlet",)
    readonly_fields = ("anonymised_at", "created_at", "updated_at")
    inlines = [CustomerPhoneInline, AddressInline, ContactWindowInline]
    fieldsets = (
        (None, {"fields": ("kind", "name", "contact_person", "outlet", "note")}),
        (
            _("Contact preferences and consent"),
            {"fields": ("dont_call_at_work", "consent_service_calls", "consent_marketing")},
        ),
        (_("Record"), {"fields": ("anonymised_at", "created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).prefetch_related("phones")

    @admin.display(description=_("phone"))
    def primary_phone(self, customer: Customer) -> str:
        # Lists show numbers masked (minimal display); the full number is on the customer's page.
        phones = list(customer.phones.all())
        return mask_phone(phones[0].number) if phones else "—"


@admin.register(PersonalDataReveal)
class PersonalDataRevealAdmin(admin.ModelAdmin):
    """The log of deliberate reveals of personal data: who, whose, when, why (read-only)."""

    list_display = ("revealed_at", "actor", "customer", "field", "reason")
    list_filter = ("field",)
    search_fields = ("actor__username", "customer__name", "reason")
    list_select_related = ("actor", "customer")
    date_hierarchy = "revealed_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
