"""Small helpers for the htmx web UI: scope misses as 404, partial or whole page, domain errors on forms."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from wuyou.core.errors import DomainError, NotFound

security_log = logging.getLogger("wuyou.security")

T = TypeVar("T")


def found_or_404(request: HttpRequest, read: Callable[..., T], **kwargs: Any) -> T:
    """Call a scoped selector; NotFound (missing or out of scope) becomes a logged Http404."""
    try:
        return read(**kwargs)
    except NotFound:
        raise not_found(request) from None


def not_found(request: HttpRequest) -> Http404:
    """Log an out-of-scope or missing object (an IDOR attempt looks the same) and return the 404 to raise."""
    user_id = getattr(getattr(request, "user", None), "pk", None)
    security_log.info("ui not found or out of scope user=%s path=%s", user_id, request.path)
    return Http404()


def wants_partial(request: HttpRequest) -> bool:
    """An htmx request that swaps part of the page (a history restore needs the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def render_page_or_partial(
    request: HttpRequest, template: str, partial: str, context: Mapping[str, Any], *, status: int = 200
) -> HttpResponse:
    """Render `template#partial` for htmx swaps and the whole `template` otherwise (Vary: HX-Request)."""
    name = f"{template}#{partial}" if wants_partial(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def set_choices(form: forms.BaseForm, name: str, choices: list[tuple[Any, Any]]) -> None:
    """Fill a choice field's options at runtime (scoped outlets, engineers, the customer's units)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


_INDEXED = re.compile(r"\[\d+\]")


def apply_domain_error(form: forms.BaseForm, error: DomainError, field_map: Mapping[str, str] | None = None) -> None:
    """Put a service's field errors next to the form's inputs; what maps to no input goes on top.

    Services name fields by their input path (`phones[0]`, `addresses[0].city`, `outlet_id`);
    `field_map` translates such paths to form field names (a path with its list index removed,
    `addresses.city`, is tried as well; unmapped paths are taken as they are); map a path to
    `"__all__"` to show its message on top of the form.
    """
    mapping = dict(field_map or {})
    on_top: list[str] = []
    for path, message in (error.errors or {}).items():
        target = mapping.get(path, mapping.get(_INDEXED.sub("", path), path))
        if target in form.fields:
            if target not in form.errors or message not in form.errors[target]:
                form.add_error(target, message)
        elif message not in on_top:
            on_top.append(message)
    if not error.errors:
        on_top.append(error.message)
    for message in on_top:
        form.add_error(None, message)


# A refused form keeps these statuses; any other refusal is bad input (422), never a 400 page or a 500.
KEPT_STATUSES = (403, 409)
# Screens of things that can be gone meanwhile (a part, a place, a loan) keep the 404 too.
KEPT_WITH_NOT_FOUND = (403, 404, 409)


def refusal_status(exc: DomainError, *, kept: tuple[int, ...] = KEPT_STATUSES) -> int:
    """The status of a page drawn again after a service said no: 403 and 409 as they are, the rest 422."""
    return exc.status if exc.status in kept else 422
