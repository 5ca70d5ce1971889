"""The staff login and the admin site's login: back-off after failures, logged failures, then the second factor."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import django_otp
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from wuyou.accounts import throttle
from wuyou.accounts.twofactor import remembered_device, second_factor_step

security_log = logging.getLogger("wuyou.security")


class ThrottledLoginMixin(auth_views.LoginView):
    """A login with per-account and per-(account, address) back-off, failures logged, and the second factor next.

    The staff login and the admin login share the counts: an account's failures at one door slow the other.
    """

    def _keys(self) -> tuple[str, str, str]:
        username = throttle.normalise_username(self.request.POST.get("username"))
        address = throttle.client_address(self.request)
        return username, address, f"{username}\x00{address}"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username, address, pair = self._keys()
        wait = throttle.longest_wait((throttle.LOGIN_PAIR, pair), (throttle.LOGIN_ACCOUNT, username))
        if wait:
            security_log.warning(
                "login refused while backing off username=%r address=%s wait=%ss", username, address, wait
            )
            # A form without the password: it is not even checked while the account waits.
            form = self.get_form_class()(request, data={"username": request.POST.get("username", "")})
            form.is_valid()
            form.errors.clear()
            form.add_error(None, _("Too many failed attempts. Try again in %(seconds)d seconds.") % {"seconds": wait})
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        username, address, pair = self._keys()
        if username or self.request.POST.get("password"):
            failures = throttle.failed(throttle.LOGIN_PAIR, pair)
            throttle.failed(throttle.LOGIN_ACCOUNT, username)
            security_log.warning(
                "login failed username=%r address=%s failures_from_address=%s", username, address, failures
            )
        return super().form_invalid(form)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        username, address, pair = self._keys()
        throttle.forget(throttle.LOGIN_PAIR, pair)
        throttle.forget(throttle.LOGIN_ACCOUNT, username)
        response = super().form_valid(form)  # logs in: a new session, stamped by wuyou.accounts.signals
        user = form.get_user()
        device = remembered_device(self.request, user)
        if device is not None:
            django_otp.login(self.request, device)
            security_log.info("login second factor remembered user=%s address=%s", user.pk, address)
        step = second_factor_step(self.request)
        security_log.info("login user=%s address=%s second_factor=%s", user.pk, address, step or "passed or not needed")
        if step is not None:
            return HttpResponseRedirect(f"{reverse(step)}?{urlencode({'next': self.get_success_url()})}")
        return response


class LoginView(ThrottledLoginMixin):
    """The staff login page, with a language switch."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class AdminLoginView(ThrottledLoginMixin):
    """The admin site's login page (wuyou.accounts.admin_site), with the same back-off and second factor."""

    template_name = "admin/login.html"
    authentication_form = AdminAuthenticationForm
