"""Django admin for the organisation, its network, staff, skills, certificates and API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from wuyou.accounts.models import ApiToken, Certificate, Organisation, Outlet, Region, Skill, StaffProfile
from wuyou.accounts.services import api_token_issue, api_token_revoke

EXPIRY_WARNING_DAYS = 30


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    """The manufacturer running the network."""

    list_display = ("name", "code", "hotline", "calendar")
    search_fields = ("name", "code")
    fields = ("code", "name", "hotline", "calendar", "head_of_service")
    raw_id_fields = ("head_of_service",)


class OutletInline(admin.TabularInline):
    model = Outlet
    fields = ("code", "name", "phone", "is_active")
    extra = 0
    show_change_link = True


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    """Regions with their outlets."""

    list_display = ("name", "code", "organisation")
    search_fields = ("name", "code")
    inlines = [OutletInline]


@admin.register(Outlet)
class OutletAdmin(admin.ModelAdmin):
    """Service outlets (dealers) with their location."""

    list_display = ("name", "code", "region", "phone", "is_active")
    list_filter = ("region", "is_active")
    search_fields = ("name", "code", "address")
    list_select_related = ("region",)
    fieldsets = (
        (None, {"fields": ("region", "code", "name", "phone", "is_active")}),
        (_("Location"), {"fields": ("address", "latitude", "longitude")}),
        (_("Working hours"), {"fields": ("calendar",)}),
    )


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    """Service skills engineers are certified for."""

    list_display = ("name", "code")
    search_fields = ("name", "code")


class ExpiryFilter(admin.SimpleListFilter):
    """Certificates by validity today: expired, expiring soon, valid."""

    title = _("validity")
    parameter_name = "validity"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [
            ("expired", _("Expired")),
            ("expiring", _("Expires within %(days)d days") % {"days": EXPIRY_WARNING_DAYS}),
            ("valid", _("Valid")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Certificate]) -> QuerySet[Certificate]:
        today = timezone.localdate()
        soon = today + dt.timedelta(days=EXPIRY_WARNING_DAYS)
        if self.value() == "expired":
            return queryset.filter(expires_on__lt=today)
        if self.value() == "expiring":
            return queryset.filter(expires_on__gte=today, expires_on__lte=soon)
        if self.value() == "valid":
            return queryset.filter(issued_on__lte=today, expires_on__gte=today)
        return queryset


def validity_label(certificate: Certificate) -> str:
    """How a certificate stands today, for lists."""
    today = timezone.localdate()
    if certificate.expires_on < today:
        return str(_("Expired"))
    if certificate.issued_on > today:
        return str(_("Not yet valid"))
    days = (certificate.expires_on - today).days
    if days <= EXPIRY_WARNING_DAYS:
        return str(_("Expires in %(days)d days") % {"days": days})
    return str(_("Valid"))


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    """Engineers' certificates; an expired one no longer counts for dispatch (R-F7)."""

    list_display = ("engineer", "skill", "number", "issued_on", "expires_on", "validity")
    list_filter = (ExpiryFilter, "skill", "engineer__outlet")
    search_fields = ("engineer__display_name", "engineer__user__username", "number")
    list_select_related = ("engineer", "skill")
    autocomplete_fields = ("engineer",)
    date_hierarchy = "expires_on"

    @admin.display(description=_("validity"))
    def validity(self, certificate: Certificate) -> str:
        return validity_label(certificate)


class CertificateInline(admin.TabularInline):
    model = Certificate
    fields = ("skill", "number", "issued_on", "expires_on", "validity")
    readonly_fields = ("validity",)
    extra = 0

    @admin.display(description=_("validity"))
    def validity(self, certificate: Certificate) -> str:
        return validity_label(certificate) if certificate.pk else ""


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    """Staff: role and place in the network; engineers' certificates inline."""

    list_display = ("display_name", "user", "role", "outlet", "region", "phone")
    list_filter = ("role", "outlet__region", "outlet")
    search_fields = ("display_name", "user__username", "phone")
    list_select_related = ("user", "outlet", "region")
    autocomplete_fields = ("user",)
    inlines = [CertificateInline]


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    fk_name = "user"
    can_delete = False
    max_num = 1
    fields = ("role", "display_name", "outlet", "region", "phone")
    verbose_name_plural = _("staff profile")


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """Django's user admin with the staff profile inline: one page to create a person who can log in."""

    inlines = [StaffProfileInline]
    list_display = ("username", "staff_role", "staff_outlet", "is_active", "is_superuser", "last_login")
    list_select_related = ("staff", "staff__outlet")
    list_filter = ("is_active", "is_superuser", "staff__role", "staff__outlet")

    @admin.display(description=_("role"))
    def staff_role(self, user: Any) -> str:
        profile = getattr(user, "staff", None)
        return str(profile.get_role_display()) if profile else "—"

    @admin.display(description=_("outlet"))
    def staff_outlet(self, user: Any) -> str:
        profile = getattr(user, "staff", None)
        return str(profile.outlet) if profile and profile.outlet else "—"


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Integration tokens: issued here (the secret is shown once, only its hash is kept), revoked, never deleted."""

    list_display = ("name", "prefix", "role", "outlet", "user", "created_at", "last_used_at", "revoked_at")
    list_filter = ("role", "outlet", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("outlet", "user")
    autocomplete_fields = ("user",)
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("name", "user", "role", "outlet")
        return ("name", "prefix", "user", "role", "outlet", "created_at", "last_used_at", "revoked_at")

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        # A token's scope is fixed when it is issued: issue a new one and revoke the old to change it.
        return ("prefix", "user", "role", "outlet", "created_at", "last_used_at", "revoked_at")

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False  # revoked tokens stay, so that the events they wrote keep a name

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, secret = api_token_issue(name=obj.name, user_id=obj.user_id, role=obj.role, outlet=obj.outlet)
        # Continue the admin's add flow with the issued row; the secret lives only in this response.
        for name in ("pk", "prefix", "token_hash", "created_at", "updated_at"):
            setattr(obj, name, getattr(token, name))
        obj._state.adding = False
        obj._state.db = token._state.db
        obj._issued_secret = secret  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: ApiToken, post_url_continue: str | None = None) -> HttpResponse:
        secret = getattr(obj, "_issued_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "token": obj,
            "secret": secret,
            "title": _("API token issued"),
        }
        response = TemplateResponse(request, "admin/accounts/apitoken/issued.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        live = list(queryset.filter(revoked_at__isnull=True))
        for token in live:
            api_token_revoke(token=token)
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", len(live)) % {"count": len(live)},
            messages.SUCCESS,
        )
