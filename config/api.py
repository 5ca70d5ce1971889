"""The REST API under /api/v1/: authentication, the one map from errors to problem+json, routers."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth
from ninja.utils import check_csrf

from wuyou.accounts import throttle
from wuyou.accounts.actors import Actor, actor_for_token, actor_for_user
from wuyou.accounts.services import api_token_authenticate
from wuyou.accounts.twofactor import second_factor_step
from wuyou.core.errors import DomainError, NotFound
from wuyou.core.schemas import Problem

security_log = logging.getLogger("wuyou.security")
log = logging.getLogger("wuyou.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"


def token_actor(request: HttpRequest, secret: str) -> Actor | None:
    """The actor of an API token; wrong tokens back off per client address (429 with Retry-After)."""
    address = throttle.client_address(request)
    wait = throttle.wait_seconds(throttle.TOKEN_ADDRESS, address)
    if wait:
        security_log.warning("api token refused while backing off address=%s wait=%ss", address, wait)
        raise throttle.TooManyAttempts(wait)
    found = api_token_authenticate(secret=secret)
    if found is None:
        failures = throttle.failed(throttle.TOKEN_ADDRESS, address)
        security_log.warning("api token failed address=%s failures=%s", address, failures)
        return None
    return actor_for_token(found)


class BearerToken(HttpBearer):
    """`Authorization: Bearer wy_…` — an integration's token."""

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        return token_actor(request, token)


class HeaderToken(APIKeyHeader):
    """`X-API-Key: wy_…` — the same token for clients that cannot send a bearer header."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        return token_actor(request, key) if key is not None else None


class CsrfFailed(AuthorizationError):
    """A cookie-authenticated write without the session's CSRF token."""


class SecondFactorRequired(AuthenticationError):
    """Logged in with the password only: the second factor is still due."""


class StaffSession(SessionAuth):
    """The web UI's session cookie; writes with it must carry the CSRF token, and the second factor must be passed.

    No session at all is not a CSRF matter: the caller is simply not authenticated (401, not 403).
    """

    def __call__(self, request: HttpRequest) -> Actor | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            security_log.warning("api csrf failed path=%s user=%s", request.path, user.pk)
            raise CsrfFailed()
        return self.authenticate(request, request.COOKIES.get(self.param_name))

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        user = super().authenticate(request, key)
        if user is None:
            return None
        if second_factor_step(request) is not None:
            raise SecondFactorRequired()
        return actor_for_user(user)


# Documented on every operation, so that clients (and schemathesis) know every answer they may get.
_READ_PROBLEMS = {
    "400": "Malformed request.",
    "401": "Not logged in, or no valid API token.",
    "403": "Your role may not do this.",
    "404": "No such object, or not yours to see.",
    "422": "Invalid input; `errors` names each field at fault.",
    "429": "Too many wrong API tokens from this address; wait the seconds in `Retry-After`.",
}
_WRITE_PROBLEMS = {
    **_READ_PROBLEMS,
    "409": "Conflict: the state does not allow it, someone else changed it first, or the key is taken.",
    "413": "The body is larger than 1 MiB.",
    "415": "The body is not application/json.",
}


class WuyouAPI(NinjaAPI):
    """NinjaAPI that mounts the apps' routers on first use and documents problem+json errors."""

    _routers_mounted = False

    def mount_routers(self) -> None:
        """Mount each app's router once; apps own their endpoints (imported late: they import this module)."""
        if self._routers_mounted:
            return
        self._routers_mounted = True
        from wuyou.accounts.api import router as calendar_router
        from wuyou.customers.api import router as customers_router
        from wuyou.dispatch.api import router as dispatch_router
        from wuyou.fees.api import router as fees_router
        from wuyou.fieldservice.api import router as fieldservice_router
        from wuyou.loaners.api import router as loans_router
        from wuyou.notifications.api import router as inbox_router
        from wuyou.parts.api import router as parts_router
        from wuyou.products.api import lookup_router
        from wuyou.products.api import router as units_router
        from wuyou.quality.api import router as quality_router
        from wuyou.quality.desk.api import router as complaints_router
        from wuyou.quality.followup.api import router as callbacks_router
        from wuyou.tickets.api import router as requests_router

        self.add_router("/customers", customers_router)
        self.add_router("/units", units_router)
        self.add_router("/requests", requests_router)
        self.add_router("/lookup", lookup_router)
        self.add_router("/calendar", calendar_router)
        self.add_router("/dispatch", dispatch_router)
        self.add_router("/dispatch", fieldservice_router)
        self.add_router("/fees", fees_router)
        self.add_router("/parts", parts_router)
        self.add_router("/loans", loans_router)
        self.add_router("/inbox", inbox_router)
        self.add_router("/callbacks", callbacks_router)
        self.add_router("/quality", quality_router)
        self.add_router("/complaints", complaints_router)

    @property
    def urls(self) -> tuple[list[Any], str, str]:
        self.mount_routers()
        return super().urls

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        self.mount_routers()
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(problem.pop("$defs", {}))
        components["Problem"] = problem
        ref = {"schema": {"$ref": "#/components/schemas/Problem"}}
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                problems = _READ_PROBLEMS if method == "get" else _WRITE_PROBLEMS
                for status, description in problems.items():
                    responses.setdefault(status, {"description": description, "content": {PROBLEM_MEDIA_TYPE: ref}})
        return schema


api = WuyouAPI(
    title="Wuyou API",
    version="1",
    description=(
        "Customers, units and service requests of the Wuyou service desk. Authenticate with "
        "`Authorization: Bearer <token>` (or `X-API-Key`), or the web session. Errors are RFC 9457 "
        "problem+json naming the field at fault. POST creation endpoints honour `Idempotency-Key`."
    ),
    auth=[BearerToken(), HeaderToken(), StaffSession()],
    urls_namespace="api",
)


def _titles() -> dict[int, str]:
    return {
        400: _("Bad request"),
        401: _("Not authenticated"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("Body too large"),
        415: _("Unsupported media type"),
        422: _("Invalid input"),
        429: _("Too many attempts"),
        500: _("Server error"),
    }


def problem(status: int, code: str, detail: str, errors: dict[str, str] | None = None) -> HttpResponse:
    """The one problem+json response of the API (RFC 9457), with `errors` naming each field at fault."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _titles().get(status, _("Error")),
        "status": status,
        "detail": detail,
        "code": code,
        "errors": [{"field": field, "message": message} for field, message in (errors or {}).items()],
    }
    response = JsonResponse(
        body, status=status, content_type=PROBLEM_MEDIA_TYPE, json_dumps_params={"ensure_ascii": False}
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="wuyou"'  # every 401 says how to authenticate (RFC 9110)
    return response


def field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    """`("body", "payload", "addresses", 0, "latitude")` → `addresses[0].latitude`."""
    parts = list(loc)
    while parts and parts[0] in ("body", "query", "path", "header", "cookie", "form", "payload"):
        parts.pop(0)
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        elif "[" in str(part) or part in ("function-after",):
            continue  # pydantic's union/validator branch tags say nothing to a client
        else:
            name += f".{part}" if name else str(part)
    return name or "body"


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if isinstance(exc, NotFound):
        # Another outlet's object answers 404 like a missing one; the attempt is still recorded.
        actor = getattr(request, "auth", None)
        security_log.info("not found or out of scope path=%s user=%s", request.path, getattr(actor, "user_id", None))
    return problem(exc.status, exc.code, exc.message, exc.errors)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, str] = {}
    for error in exc.errors:
        errors.setdefault(field_name(error.get("loc", ())), str(error.get("msg", _("invalid"))))
    first_field, first_message = next(iter(errors.items()), ("body", _("invalid")))
    return problem(422, "validation_failed", f"{first_field}: {first_message}", errors)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    security_log.warning("api authentication failed path=%s address=%s", request.path, throttle.client_address(request))
    if isinstance(exc, SecondFactorRequired):
        return problem(
            401, "second_factor_required", _("Enter the code of your second factor on the login page first.")
        )
    return problem(401, "unauthorized", _("Log in or send a valid API token."))


@api.exception_handler(throttle.TooManyAttempts)
def on_too_many_attempts(request: HttpRequest, exc: throttle.TooManyAttempts) -> HttpResponse:
    response = problem(exc.status, exc.code, exc.message)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(CsrfFailed)
def on_csrf_failed(request: HttpRequest, exc: CsrfFailed) -> HttpResponse:
    return problem(
        403, "csrf_failed", _("The CSRF token is missing or wrong: a write with the session cookie must carry it.")
    )


@api.exception_handler(AuthorizationError)
def on_authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    security_log.warning("api authorisation failed path=%s", request.path)
    return problem(403, "forbidden", _("You may not do this."))


@api.exception_handler(DjangoPermissionDenied)
def on_permission_denied(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
    return problem(403, "forbidden", str(exc) or _("You may not do this."))


@api.exception_handler(Http404)
def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(exc.status_code, "error", str(exc))


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Never a bare HTML 500: log the trace for us, tell the client only that it failed.
    log.exception("unhandled API error path=%s", request.path)
    return problem(500, "server_error", _("Something went wrong on our side; the error was logged. Try again later."))
