"""Request guards: API body checks (size, encoding, content type) and the idle-session limit."""

from __future__ import annotations

import json
import math
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


# JSON the API takes: no document of ours nests deeper than a few levels; a number longer than this is no quantity,
# id or coordinate (2**63 has 19 digits); NaN and Infinity are not JSON (RFC 8259 §6) and no field accepts them.
MAX_JSON_DEPTH = 64
MAX_NUMBER_CHARS = 40


class _Refused:
    """A number no field takes (NaN, Infinity, out of range, too long), left in place so its field can be named."""

    __slots__ = ("literal",)

    def __init__(self, literal: str):
        self.literal = literal


def _constant(name: str) -> _Refused:
    return _Refused(name)


def _int(literal: str) -> int | _Refused:
    return _Refused(literal) if len(literal) > MAX_NUMBER_CHARS else int(literal)


def _float(literal: str) -> float | _Refused:
    if len(literal) > MAX_NUMBER_CHARS:
        return _Refused(literal)
    value = float(literal)
    return value if math.isfinite(value) else _Refused(literal)


def json_shape(document: object) -> tuple[int, list[tuple[str, str]]]:
    """How deep arrays and objects nest (a scalar is 0), and the refused numbers as (field, literal), in order.

    Walked without recursion; past MAX_JSON_DEPTH the walk stops, the answer being known. Fields are named as the
    API's problems name them: `addresses[0].latitude`; a refused number standing alone is the `body`.
    """
    deepest, refused = 0, []
    stack: list[tuple[object, int, str]] = [(document, 1, "")]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, _Refused):
            refused.append((path or "body", node.literal[:20]))
            continue
        if isinstance(node, dict):
            children = [(value, f"{path}.{key}" if path else str(key)) for key, value in node.items()]
        elif isinstance(node, list):
            children = [(value, f"{path}[{index}]") for index, value in enumerate(node)]
        else:
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_JSON_DEPTH:
            stack.extend((child, depth + 1, name) for child, name in reversed(children))
    return deepest, refused


def json_depth(document: object) -> int:
    """How deep arrays and objects nest in a parsed JSON document (a scalar is 0)."""
    return json_shape(document)[0]


class ApiBodyGuardMiddleware:
    """Refuses oversized, non-UTF-8, non-JSON, too deep or out-of-range API bodies with a 4xx before any view runs."""

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
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return problem_response(
                400,
                _("Bad encoding"),
                _("The body is not valid UTF-8."),
                [{"field": "body", "message": _("not UTF-8")}],
            )
        refused: list[tuple[str, str]] = []
        try:
            # The C parser refuses runaway nesting with RecursionError before it exhausts the stack.
            document = json.loads(text, parse_constant=_constant, parse_int=_int, parse_float=_float)
        except RecursionError:
            depth = MAX_JSON_DEPTH + 1
        except ValueError as exc:  # JSONDecodeError, and integers past Python's own digit limit
            return problem_response(
                400,
                _("Malformed JSON"),
                _("The body is not valid JSON: %(e)s") % {"e": str(exc)[:200]},
                [{"field": "body", "message": _("malformed JSON")}],
            )
        else:
            depth, refused = json_shape(document)
        if depth > MAX_JSON_DEPTH:
            return problem_response(
                400,
                _("Malformed JSON"),
                _("The body nests arrays and objects deeper than %(most)d levels.") % {"most": MAX_JSON_DEPTH},
                [{"field": "body", "message": _("nested too deeply")}],
            )
        if refused:
            message = _("not a finite number of at most %(n)d characters") % {"n": MAX_NUMBER_CHARS}
            return problem_response(
                400,
                _("Malformed JSON"),
                _("%(field)s: %(value)s is no number JSON allows (NaN, Infinity and out-of-range numbers are not).")
                % {"field": refused[0][0], "value": refused[0][1]},
                [{"field": field, "message": message} for field, _literal in refused],
            )
        return None


class SessionTimeoutMiddleware:
    """Logs a session out after WUYOU_SESSION_IDLE_SECONDS without a request, and at the latest
    WUYOU_SESSION_MAX_SECONDS after login whatever the activity (ASVS 3.3.1, 3.3.2)."""

    LOGIN_AT_KEY = "login_at"  # stamped at login (wuyou.accounts.signals), Unix seconds

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get("_auth_user_id"):
            now = int(time.time())
            last = session.get("last_seen", now)
            login_at = session.setdefault(self.LOGIN_AT_KEY, now)  # a session older than the stamp starts counting
            lifetime = getattr(settings, "WUYOU_SESSION_MAX_SECONDS", settings.SESSION_COOKIE_AGE)
            if now - int(last) > settings.WUYOU_SESSION_IDLE_SECONDS or now - int(login_at) >= lifetime:
                logout(request)
            elif now - int(last) > 30:
                session["last_seen"] = now
            elif "last_seen" not in session:
                session["last_seen"] = now
        return self.get_response(request)
