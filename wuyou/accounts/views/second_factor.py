"""The second factor after the password: enter a code (or a recovery code), or enrol an authenticator app first."""

from __future__ import annotations

import base64
import logging
from typing import Any, cast

import django_otp
import segno
from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.views import RedirectURLMixin, redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.generic.edit import FormView
from django_otp.plugins.otp_totp.models import TOTPDevice

from wuyou.accounts import throttle
from wuyou.accounts.forms import EnrolmentForm, SecondFactorForm
from wuyou.accounts.services import otp_enrolment_confirm, otp_enrolment_start
from wuyou.accounts.twofactor import (
    STEP_SETUP,
    STEP_VERIFY,
    device_for_code,
    note_device,
    recovery_codes_left,
    remember_days,
    remember_device,
    second_factor_step,
)
from wuyou.accounts.views import to_second_factor

security_log = logging.getLogger("wuyou.security")


class _SecondFactorPage(RedirectURLMixin, FormView):  # type: ignore[type-arg]
    """Logged-in users only; `next` is kept through the step and checked like the login's."""

    next_page = "home"
    step = ""

    @method_decorator(never_cache)
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return cast(HttpResponse, super().dispatch(request, *args, **kwargs))

    @property
    def user(self) -> AbstractBaseUser:
        """The logged-in user (dispatch sends anyone else to the login page)."""
        return cast(AbstractBaseUser, self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(next=self.get_redirect_url(), **kwargs)

    def _refused(self, form: Any, wait: int) -> HttpResponse:
        form.is_valid()  # bound to nothing: the code is not even checked while the user waits
        form.errors.clear()
        form.add_error(None, _("Too many wrong codes. Try again in %(seconds)d seconds.") % {"seconds": wait})
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(wait)
        return response

    def _wait(self) -> int:
        return throttle.wait_seconds(throttle.SECOND_FACTOR, str(self.request.user.pk))

    def _failed(self, what: str) -> None:
        failures = throttle.failed(throttle.SECOND_FACTOR, str(self.request.user.pk))
        security_log.warning(
            "%s failed user=%s address=%s failures=%s",
            what,
            self.request.user.pk,
            throttle.client_address(self.request),
            failures,
        )


class SecondFactorView(_SecondFactorPage):
    """The code after the password, with "remember this device"."""

    template_name = "accounts/second_factor_verify.html"
    form_class = SecondFactorForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            step = second_factor_step(request)
            if step is None:
                return HttpResponseRedirect(self.get_success_url())
            if step == STEP_SETUP:
                note_device(request, present=False)
                return to_second_factor(request, STEP_SETUP, back=self.get_success_url())
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "remember_days": remember_days()}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = self._wait()
        if wait:
            return self._refused(SecondFactorForm(data={}, remember_days=remember_days()), wait)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: SecondFactorForm) -> HttpResponse:
        user = self.request.user
        code = form.cleaned_data["code"]
        device = device_for_code(user, code)
        verified = django_otp.verify_token(user, device.persistent_id, code) if device is not None else None
        if verified is None:
            self._failed("second factor")
            form.add_error("code", _("That code is not right, or it has expired. Enter the code the app shows now."))
            return self.form_invalid(form)
        throttle.forget(throttle.SECOND_FACTOR, str(user.pk))
        self.request.session.cycle_key()  # a new privilege level gets a new session id
        django_otp.login(self.request, verified)
        security_log.info("second factor passed user=%s device=%s", user.pk, verified.persistent_id)
        response = HttpResponseRedirect(self.get_success_url())
        if isinstance(verified, TOTPDevice):
            if form.cleaned_data.get("remember"):
                remember_device(response, verified)
        else:
            left = recovery_codes_left(user)
            messages.warning(
                self.request,
                ngettext(
                    "You used a recovery code; %(n)d is left. Set up your authenticator app again if you lost it.",
                    "You used a recovery code; %(n)d are left. Set up your authenticator app again if you lost it.",
                    left,
                )
                % {"n": left},
            )
        return response


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


class EnrolmentView(_SecondFactorPage):
    """Add an authenticator app: a QR code and the secret, confirmed with its first code; then the recovery codes."""

    template_name = "accounts/second_factor_setup.html"
    form_class = EnrolmentForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Someone who has a device but has not entered its code must not replace it.
        if request.user.is_authenticated and second_factor_step(request) == STEP_VERIFY:
            return to_second_factor(request, STEP_VERIFY, back=self.get_redirect_url() or None)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        device = otp_enrolment_start(user=self.user)
        secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
        qr = segno.make(device.config_url, error="m")
        return super().get_context_data(
            qr_svg=mark_safe(qr.svg_inline(scale=5, title=_("QR code for your authenticator app"))),
            secret=_grouped(secret),
            **kwargs,
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = self._wait()
        if wait:
            return self._refused(EnrolmentForm(data={}), wait)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: EnrolmentForm) -> HttpResponse:
        user = self.user
        device = otp_enrolment_start(user=user)
        codes = otp_enrolment_confirm(device=device, code=form.cleaned_data["code"])
        if codes is None:
            self._failed("second factor enrolment")
            form.add_error("code", _("That code is not right. Check the app's clock and enter the code it shows now."))
            return self.form_invalid(form)
        throttle.forget(throttle.SECOND_FACTOR, str(user.pk))
        self.request.session.cycle_key()
        django_otp.login(self.request, device)
        note_device(self.request, present=True)
        context = {"codes": codes, "next": self.get_success_url()}
        # Shown once: never_cache (on dispatch) keeps the page out of every cache and the browser's history.
        return self.response_class(
            request=self.request, template=["accounts/second_factor_recovery.html"], context=context
        )
