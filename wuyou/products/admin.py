"""Django admin for the catalogue (categories, models with job specifications), units with their history, policies."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from wuyou.products.models import JobSpec, ProductCategory, ProductModel, Unit, UnitEvent, WarrantyPolicy


class ProductModelInline(admin.TabularInline):
    model = ProductModel
    fields = ("code", "name", "warranty_months", "is_active")
    extra = 0
    show_change_link = True


@admin.register(ProductCategory)
class ProductCategoryAdmin(admin.ModelAdmin):
    """Product families and their models."""

    list_display = ("name", "code")
    search_fields = ("name", "code")
    inlines = [ProductModelInline]


class JobSpecInline(admin.TabularInline):
    model = JobSpec
    extra = 0
    filter_horizontal = ("skills",)


@admin.register(ProductModel)
class ProductModelAdmin(admin.ModelAdmin):
    """Product models with standard durations and required skills per job type (R-B1)."""

    list_display = ("code", "name", "category", "warranty_months", "is_active")
    list_filter = ("category", "is_active")
    search_fields = ("code", "name")
    list_select_related = ("category",)
    inlines = [JobSpecInline]


class UnitEventInline(admin.TabularInline):
    model = UnitEvent
    fields = ("occurred_at", "verb", "actor", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-occurred_at", "-id")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    """Units and their history, read-only: they are registered in the console or the API, which write the history."""

    list_display = ("serial", "product_model", "owner", "purchase_date", "selling_outlet", "installed_on")
    list_filter = ("product_model__category", "selling_outlet")
    search_fields = ("=serial", "owner__name", "product_model__code")
    list_select_related = ("product_model", "owner", "selling_outlet")
    date_hierarchy = "purchase_date"
    inlines = [UnitEventInline]
    fieldsets = (
        (None, {"fields": ("serial", "product_model", "owner")}),
        (
            _("Sale and installation"),
            {"fields": ("purchase_date", "selling_outlet", "installed_on", "install_address")},
        ),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WarrantyPolicy)
class WarrantyPolicyAdmin(admin.ModelAdmin):
    """Warranty and fee policies (R-B3, R-B4): shown as YAML; edited through `wuyou policy load FILE`."""

    list_display = ("code", "name", "applies_to_kind", "applies_to_code", "is_active", "updated_at")
    list_filter = ("applies_to_kind", "is_active")
    search_fields = ("code", "name", "applies_to_code")
    fields = ("code", "name", "applies_to_kind", "applies_to_code", "is_active", "updated_at", "how_to_edit", "as_yaml")
    readonly_fields = ("code", "name", "applies_to_kind", "applies_to_code", "updated_at", "how_to_edit", "as_yaml")

    @admin.display(description=_("how to edit"))
    def how_to_edit(self, obj: WarrantyPolicy) -> str:
        # The document is validated as a whole (rules, overlapping versions); a field-by-field form would skip that.
        return str(
            _(
                "The rules are read-only here. Export with `wuyou policy export > policies.yaml`, edit the file, "
                "and load it back with `wuyou policy load policies.yaml`: the whole file is checked and applied, "
                "or nothing is. Only the active flag can be changed here. See docs/policies.md."
            )
        )

    @admin.display(description=_("policy (YAML)"))
    def as_yaml(self, obj: WarrantyPolicy) -> SafeString:
        import yaml

        text = yaml.safe_dump(obj.document, allow_unicode=True, sort_keys=False, width=100)
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # new policies come from a YAML file, validated as a whole
