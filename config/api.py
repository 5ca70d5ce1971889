"""The REST API under /api/v1/: authentication, the one map from errors to problem+json, routers."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth

from wuyou.accounts.actors import Actor, actor_for_token, actor_for_user
from wuyou.accounts.services import api_token_authenticate
from wuyou.core.errors import DomainError, NotFound
from wuyou.core.middleware import problem_response

security_log = logging.getLogger("wuyou.security")


class BearerToken(HttpBearer):
    """`Authorization: Bearer wy_…` — an integration's token."""

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        found = api_token_authenticate(secret=token)
        return actor_for_token(found) if found else None


class HeaderToken(APIKeyHeader):
    """`X-API-Key: wy_…` — the same token for clients that cannot send a bearer header."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        found = api_token_authenticate(secret=key or "")
        return actor_for_token(found) if found else None


class StaffSession(SessionAuth):
    """The web UI's session cookie (CSRF-checked on writes by ninja)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        user = super().authenticate(request, key)
        return actor_for_user(user) if user else None


api = NinjaAPI(
    title="Wuyou API",
    version="1",
    description="Customers, units and service requests of the Wuyou service desk. Errors are RFC 9457 problem+json.",
    auth=[BearerToken(), HeaderToken(), StaffSession()],
    urls_namespace="api",
)


def actor_of(request: HttpRequest) -> Actor:
    """The authenticated actor of an API request."""
    actor: Actor = request.auth  # type: ignore[attr-defined]
    return actor


def _problem(status: int, title: str, detail: str, errors: dict[str, str] | None = None) -> HttpResponse:
    listed = [{"field": k, "message": v} for k, v in (errors or {}).items()]
    return problem_response(status, title, detail, listed)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if isinstance(exc, NotFound):
        security_log.info("not found or out of scope path=%s", request.path)
    return _problem(exc.status, exc.code, exc.message, exc.errors)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, str] = {}
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "payload")]
        errors[".".join(loc) or "body"] = str(error.get("msg", "invalid"))
    first = next(iter(errors.items()))
    return _problem(422, "validation_failed", f"{first[0]}: {first[1]}", errors)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    security_log.warning("api authentication failed path=%s", request.path)
    response = _problem(401, "unauthorized", "Log in or send a valid API token.")
    response["WWW-Authenticate"] = 'Bearer realm="wuyou"'
    return response


@api.exception_handler(Http404)
def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _problem(404, "not_found", "Not found.")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _problem(exc.status_code, "error", str(exc))


def register_routers(target: NinjaAPI) -> None:
    """Mount each app's router; apps own their endpoints."""
    from wuyou.customers.api import router as customers_router
    from wuyou.products.api import router as units_router
    from wuyou.tickets.api import router as requests_router

    target.add_router("/customers", customers_router)
    target.add_router("/units", units_router)
    target.add_router("/requests", requests_router)


register_routers(api)

__all__: list[Any] = ["api", "actor_of"]
