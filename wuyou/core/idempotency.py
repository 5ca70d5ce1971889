"""Idempotent creation (IETF Idempotency-Key draft): a retried POST replays the first response.

The key belongs to the caller (a token or a user): the first call claims it with a RUNNING
record (unique per caller and key) committed before the work starts, so a concurrent retry
sees it; the finished call stores its status and JSON body (DONE) for retries to replay. A
failed call drops its record so that a corrected retry may succeed. A RUNNING record older
than settings.WUYOU_IDEMPOTENCY_STALE_SECONDS belonged to a process that died and may be
taken over. All state lives in the database: any number of web processes may share it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import inspect
import json
from collections.abc import Callable
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Status
from ninja.responses import NinjaJSONEncoder
from pydantic import BaseModel

from wuyou.core.errors import Conflict, ValidationFailed
from wuyou.core.models import IdempotencyRecord

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
CREATED = 201


class Caller(Protocol):
    """Whoever owns the keys it sends (wuyou.accounts.actors.Actor fits)."""

    @property
    def caller_key(self) -> str: ...


def request_fingerprint(body: bytes) -> str:
    """SHA-256 of the body as canonical JSON, so key order and spacing do not make a retry 'different'."""
    try:
        canonical = json.dumps(
            json.loads(body or b"null"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
    except (ValueError, UnicodeError):
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


def check_key(key: str) -> str:
    """The key as sent, or ValidationFailed naming the header."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(_("The Idempotency-Key must be 1–255 printable characters."), field=KEY_HEADER)
    return key


def idempotency_claim(*, caller: str, key: str, method_path: str, body_hash: str) -> IdempotencyRecord:
    """Claim a key for a first run (state RUNNING) or return the finished record to replay (state DONE).

    Raises ValidationFailed when the key was used for a different request and Conflict while
    another call with the key is still running.
    """
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    caller=caller, key=key, method_path=method_path[:255], body_hash=body_hash
                )
        except IntegrityError:
            pass
        existing = IdempotencyRecord.objects.filter(caller=caller, key=key).first()
        if existing is None:
            continue  # the holder failed and dropped its record meanwhile: claim again
        if existing.method_path != method_path[:255] or existing.body_hash != body_hash:
            raise ValidationFailed(
                _("This Idempotency-Key was already used for a different request; use a new key."), field=KEY_HEADER
            )
        if existing.state == IdempotencyRecord.State.DONE:
            return existing
        now = timezone.now()
        stale_before = now - dt.timedelta(seconds=settings.WUYOU_IDEMPOTENCY_STALE_SECONDS)
        if existing.created_at < stale_before:
            # The first call's process died; exactly one retry takes the record over.
            taken = IdempotencyRecord.objects.filter(
                pk=existing.pk,
                state=IdempotencyRecord.State.RUNNING,
                created_at=existing.created_at,
            ).update(created_at=now)
            if taken:
                existing.created_at = now
                return existing
        break
    raise Conflict(
        _("A request with this Idempotency-Key is still being processed; retry in a moment."), field=KEY_HEADER
    )


def idempotency_finish(*, record: IdempotencyRecord, status: int, body: str) -> None:
    """Store the first response for replay; the body is kept as JSON text, byte for byte.

    (PostgreSQL's jsonb would reorder the keys, and a replay must be the same response.)
    """
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        state=IdempotencyRecord.State.DONE, response_status=status, response_body=body
    )


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """Drop the claim of a call that failed, so that a retry with the same key may succeed."""
    IdempotencyRecord.objects.filter(pk=record.pk, state=IdempotencyRecord.State.RUNNING).delete()


def _status_and_text(result: Any) -> tuple[int, str]:
    status = CREATED
    if isinstance(result, Status):
        status, result = result.status_code, result.value
    if isinstance(result, BaseModel):
        result = result.model_dump(by_alias=True)
    # Encoded as ninja's renderer does, so that a response looks the same with or without a key.
    return status, json.dumps(result, cls=NinjaJSONEncoder)


def _json(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="application/json; charset=utf-8")


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Make a creation endpoint honour `Idempotency-Key` (put it under the router decorator).

    The view runs after authentication and validation; it returns the created object's schema
    (status 201) or a `ninja.Status`. Without the header the view runs as is.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        raw_key = request.headers.get(KEY_HEADER)
        if raw_key is None:
            return view(request, *args, **kwargs)
        caller: Caller = request.auth  # type: ignore[attr-defined]
        record = idempotency_claim(
            caller=caller.caller_key,
            key=check_key(raw_key),
            method_path=f"{request.method} {request.path}",
            body_hash=request_fingerprint(request.body),
        )
        if record.state == IdempotencyRecord.State.DONE:
            stored = record.response_body
            text = stored if isinstance(stored, str) else json.dumps(stored, cls=NinjaJSONEncoder)
            response = _json(text, record.response_status or CREATED)
            response[REPLAYED_HEADER] = "true"
            return response
        try:
            status, text = _status_and_text(view(request, *args, **kwargs))
        except BaseException:
            idempotency_release(record=record)
            raise
        if status >= 400:
            idempotency_release(record=record)
        else:
            idempotency_finish(record=record, status=status, body=text)
        return _json(text, status)

    # Ninja reads the parameters from the signature; resolve the view's own (string) annotations here.
    wrapper.__signature__ = inspect.signature(view, eval_str=True)  # type: ignore[attr-defined]
    return wrapper
