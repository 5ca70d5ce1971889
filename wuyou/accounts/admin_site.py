"""The admin site: its login backs off like the staff login, and it opens only after the second factor.

Installed as the default admin site by `wuyou.accounts.apps.WuyouAdminConfig` (in place of django.contrib.admin),
so every `@admin.register` lands here. Like django-otp's OTPAdminSite, a user who has not passed the second factor
is treated as having no admin permission; unlike it, the code is asked on its own page after the password
(`second_factor_verify`), where "remember this device" and recovery codes work as for the staff pages.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from wuyou.accounts.twofactor import second_factor_step
from wuyou.core.dates import bounded_form_fields


class WuyouAdminSite(admin.AdminSite):
    """AdminSite with the back-off login and the second factor."""

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        """Every model's admin form takes dates only within the years the API and the UI take (no overflow 500)."""
        base = admin_class or admin.ModelAdmin
        overrides = {**bounded_form_fields(), **getattr(base, "formfield_overrides", {})}
        bounded_admin = type(base.__name__, (base,), {"formfield_overrides": overrides, "__module__": base.__module__})
        super().register(model_or_iterable, bounded_admin, **options)

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and second_factor_step(request) is None

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        from wuyou.accounts.views import to_second_factor  # views import models: not at app-loading time
        from wuyou.accounts.views.login import AdminLoginView

        index_path = reverse("admin:index", current_app=self.name)
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(index_path)
        step = second_factor_step(request)
        if step is not None and request.user.is_staff:
            return to_second_factor(request, step, back=request.GET.get(REDIRECT_FIELD_NAME) or index_path)
        context = {
            **self.each_context(request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = index_path
        context.update(extra_context or {})
        request.current_app = self.name
        view = AdminLoginView.as_view(extra_context=context, template_name=self.login_template or "admin/login.html")
        return cast(HttpResponse, view(request))
