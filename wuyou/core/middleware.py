"""Request guards: API body checks (size, encoding, content type) and the idle-session limit."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _


def problem_response(status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None) -> JsonResponse:
    """An RFC 9457 problem+json response."""
    body: dict[str, object] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return JsonResponse(
        body, status=status, content_type="application/problem+json", json_dumps_params={"ensure_ascii": False}
    )


class ApiBodyGuardMiddleware:
    """Refuses oversized, non-UTF-8 or non-JSON API bodies with a clear 4xx before any view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") and request.method in {"POST", "PUT", "PATCH"}:
            refusal = self._check(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        length = request.META.get("CONTENT_LENGTH") or "0"
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
        try:
            too_big = int(length) > limit
        except ValueError:
            return problem_response(400, _("Bad request"), _("The Content-Length header is not a number."))
        if too_big:
            return problem_response(
                413,
                _("Body too large"),
                _("The body exceeds %(n)d bytes.") % {"n": limit},
                [{"field": "body", "message": _("too large")}],
            )
        try:
            body = request.body
        except RequestDataTooBig:
            return problem_response(
                413,
                _("Body too large"),
                _("The body exceeds %(n)d bytes.") % {"n": limit},
                [{"field": "body", "message": _("too large")}],
            )
        if not body:
            return None
        content_type = (request.content_type or "").lower()
        if content_type != "application/json":
            return problem_response(
                415,
                _("Unsupported media type"),
                _("Send the body as application/json."),
                [{"field": "Content-Type", "message": _("must be application/json")}],
            )
        try:
            json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            return problem_response(
                400,
                _("Bad encoding"),
                _("The body is not valid UTF-8."),
                [{"field": "body", "message": _("not UTF-8")}],
            )
        except ValueError as exc:
            return problem_response(
                400,
                _("Malformed JSON"),
                _("The body is not valid JSON: %(e)s") % {"e": exc},
                [{"field": "body", "message": _("malformed JSON")}],
            )
        return None


class SessionTimeoutMiddleware:
    """Logs a session out after WUYOU_SESSION_IDLE_SECONDS without a request (ASVS 3.3)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get("_auth_user_id"):
            now = int(time.time())
            last = session.get("last_seen", now)
            if now - int(last) > settings.WUYOU_SESSION_IDLE_SECONDS:
                logout(request)
            elif now - int(last) > 30:
                session["last_seen"] = now
            elif "last_seen" not in session:
                session["last_seen"] = now
        return self.get_response(request)
