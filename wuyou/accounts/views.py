"""Login (rate-limited), the staff-only view guard and the actor in every template."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from wuyou.accounts.actors import Actor, Scope, actor_for_user
from wuyou.accounts.models import Role, StaffProfile
from wuyou.core.errors import DomainError, NotFound, PermissionDenied
from wuyou.core.htmx import not_found

security_log = logging.getLogger("wuyou.security")

View = Callable[..., HttpResponse]


def actor_context(request: HttpRequest) -> dict[str, Any]:
    """Puts `actor` (role and scope of the logged-in user) and the top bar's facts into every template."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    actor = actor_for_user(user)
    profile: StaffProfile | None = getattr(user, "staff", None) if user.is_authenticated else None
    return {
        "actor": actor,
        "actor_role_label": Role(actor.role).label if actor.role in Role.values else "",
        "actor_outlet_name": profile.outlet.name if profile is not None and profile.outlet else "",
        "actor_is_engineer": actor.scope is Scope.OWN_JOBS,
        "actor_head_office": actor.scope is Scope.ALL,
    }


def actor_of(request: HttpRequest) -> Actor:
    """The actor of a web request (the logged-in user's role and scope)."""
    return actor_for_user(request.user)


def desk_actor(request: HttpRequest) -> Actor:
    """Desk roles only: engineers and sales reps never see the page (and are not told it exists: a logged 404)."""
    actor = actor_of(request)
    if not actor.can_run_desk:
        raise not_found(request)
    return actor


def require_desk_or_field(actor: Actor) -> None:
    """Screens for the desk (clerks, managers) and for engineers (their own van, their take-backs)."""
    if not (actor.can_run_desk or actor.scope is Scope.OWN_JOBS):
        raise PermissionDenied(_("Your role does not handle spare parts."))


def staff_view(view: View) -> View:
    """Login required; scope misses become 404 and stray domain errors a message page, never a 500."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            htmx = getattr(request, "htmx", None)
            if htmx:
                # The session expired under an open page: send the whole window to the login page,
                # coming back to the page the user was on rather than to the fragment it asked for.
                back = htmx.current_url_abs_path or request.get_full_path()
                return HttpResponseClientRedirect(redirect_to_login(back)["Location"])
            return redirect_to_login(request.get_full_path())
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise not_found(request) from None
        except DomainError as exc:
            return render(request, "error.html", {"message": exc.message}, status=exc.status)

    return guarded


class LoginView(auth_views.LoginView):
    """Django's login with a language switch and a failure limit per username and address."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def _limit_key(self) -> str:
        username = (self.request.POST.get("username") or "").strip().lower()[:150]
        address = self.request.META.get("REMOTE_ADDR", "")
        digest = hashlib.sha256(f"{username}|{address}".encode()).hexdigest()[:32]
        return f"wuyou:login-failures:{digest}"

    @staticmethod
    def _limit() -> tuple[int, int]:
        attempts, _sep, seconds = str(getattr(settings, "WUYOU_LOGIN_RATE", "10/300")).partition("/")
        return int(attempts or 10), int(seconds or 300)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        attempts, _seconds = self._limit()
        if (cache.get(self._limit_key()) or 0) >= attempts:
            security_log.warning("login refused: too many failures address=%s", request.META.get("REMOTE_ADDR", ""))
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, _("Too many failed attempts. Wait a few minutes and try again."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        _attempts, seconds = self._limit()
        key = self._limit_key()
        failures = (cache.get(key) or 0) + 1
        cache.set(key, failures, seconds)
        security_log.warning("login failed failures=%s address=%s", failures, self.request.META.get("REMOTE_ADDR", ""))
        return super().form_invalid(form)
