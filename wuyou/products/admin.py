"""Django admin for the catalogue (categories, models with job specifications), units with their history, policies."""

from __future__ import annotations

from typing import Any

import yaml
from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from wuyou.accounts.actors import Actor, actor_for_user
from wuyou.core.errors import DomainError
from wuyou.products import services
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


class WarrantyPolicyForm(forms.ModelForm):
    """A policy edited as its YAML document, checked as a whole exactly as `wuyou policy load` checks a file."""

    yaml_text = forms.CharField(
        label=_("policy (YAML)"),
        widget=forms.Textarea(
            attrs={"rows": 32, "cols": 110, "spellcheck": "false", "style": "font-family: monospace"}
        ),
        help_text=_(
            "Rules, versions and their dates; the format is in docs/policies.md. Saving checks the whole policy "
            "(unknown rules, overlapping versions, what it applies to) and stores it, or nothing."
        ),
    )

    class Meta:
        model = WarrantyPolicy
        fields = ("is_active",)

    def __init__(self, *args: Any, actor: Actor | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        if self.instance.pk and not self.is_bound:
            self.initial["yaml_text"] = yaml.safe_dump(
                self.instance.document, allow_unicode=True, sort_keys=False, width=100
            )
        elif not self.instance.pk and not self.is_bound:
            self.initial["yaml_text"] = NEW_POLICY_TEMPLATE

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        text = cleaned.get("yaml_text", "")
        if not text or self.actor is None:
            return cleaned
        try:
            (policy, *more) = services.policy_check(actor=self.actor, text=text)
        except DomainError as error:
            for path, message in (error.errors or {"": error.message}).items():
                self.add_error("yaml_text", f"{path}: {message}" if path and path not in message else message)
            return cleaned
        if more:
            self.add_error("yaml_text", _("One policy per page; load files of several with `wuyou policy load`."))
        elif self.instance.pk and policy.code != self.instance.code:
            self.add_error(
                "yaml_text",
                _("The code of a policy does not change (it is %(code)s); to start another, add a new policy.")
                % {"code": self.instance.code},
            )
        elif not self.instance.pk and WarrantyPolicy.objects.filter(code=policy.code).exists():
            self.add_error("yaml_text", _("Policy %(code)s exists already: edit it instead.") % {"code": policy.code})
        return cleaned


NEW_POLICY_TEMPLATE = """code: my-policy
name: My policy
applies_to:
  kind: category        # product_model, category or default
  code: air-conditioner
versions:
  - label: v1
    valid_from: 2026-01-01
    valid_until: null
    rules:
      - kind: return_within_days
        days: 7
      - kind: exchange_within_days
        days: 15
      - kind: free_repair
        months: 12
      - kind: out_of_warranty
"""


@admin.register(WarrantyPolicy)
class WarrantyPolicyAdmin(admin.ModelAdmin):
    """Warranty and fee policies (R-B3, R-B4), edited as YAML and checked as a whole (also `wuyou policy load`)."""

    form = WarrantyPolicyForm
    list_display = ("code", "name", "applies_to_kind", "applies_to_code", "is_active", "updated_at")
    list_filter = ("applies_to_kind", "is_active")
    search_fields = ("code", "name", "applies_to_code")
    readonly_fields = ("code", "name", "applies_to_kind", "applies_to_code", "updated_at")

    def get_fields(self, request: HttpRequest, obj: WarrantyPolicy | None = None) -> tuple[str, ...]:
        head = ("code", "name", "applies_to_kind", "applies_to_code", "updated_at") if obj is not None else ()
        return (*head, "is_active", "yaml_text")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change=change, **kwargs)
        actor = actor_for_user(request.user) if request.user.is_authenticated else None

        class WithActor(form_class):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, actor=actor, **kw)

        return WithActor

    def save_model(self, request: HttpRequest, obj: WarrantyPolicy, form: Any, change: bool) -> None:
        # Through the service, as the command line loads a file: the audit log names who changed which promise.
        (stored,) = services.policy_load(actor=actor_for_user(request.user), text=form.cleaned_data["yaml_text"])
        if not form.cleaned_data["is_active"]:
            services.policy_switch_off(actor=actor_for_user(request.user), policy=stored)
        obj.pk = stored.pk
        obj.refresh_from_db()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may_edit(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a promise once made stays on record; switch it off instead

    @staticmethod
    def _may_edit(request: HttpRequest) -> bool:
        if not request.user.is_authenticated:
            return False
        return actor_for_user(request.user).role in services.POLICY_EDITOR_ROLES
