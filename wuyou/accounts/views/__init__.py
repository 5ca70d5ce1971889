"""The staff-only view guard (login and second factor), the actor in every template; the login pages are in
`views.login` and `views.second_factor`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from wuyou.accounts.actors import Actor, Scope, actor_for_user
from wuyou.accounts.models import Role, StaffProfile
from wuyou.accounts.twofactor import second_factor_step
from wuyou.core.errors import DomainError, NotFound, PermissionDenied
from wuyou.core.htmx import not_found

security_log = logging.getLogger("wuyou.security")

View = Callable[..., HttpResponse]


def to_second_factor(request: HttpRequest, step: str, back: str | None = None) -> HttpResponse:
    """Send a logged-in user who has not passed the second factor to its page, coming back where they were."""
    htmx = getattr(request, "htmx", None)
    if back is None:
        back = (htmx.current_url_abs_path if htmx else None) or request.get_full_path()
    url = f"{reverse(step)}?{urlencode({'next': back})}"
    if htmx:
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


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
    """Login (and, where due, the second factor) required; scope misses become 404 and stray domain errors a
    message page, never a 500."""

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
        step = second_factor_step(request)
        if step is not None:
            return to_second_factor(request, step)
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise not_found(request) from None
        except DomainError as exc:
            return render(request, "error.html", {"message": exc.message}, status=exc.status)

    return guarded
