"""Writes for quality: callbacks (scheduled, taken, recorded, moved), phone guidance, sampling, complaints."""

from wuyou.quality.services.callbacks import (
    ANSWERED,
    MAX_ATTEMPTS,
    OUTCOMES,
    callback_move,
    callback_record,
    callback_take,
)
from wuyou.quality.services.guidance import NOTE_MAX, PHONE_GUIDANCE_CALLBACK_AFTER, request_resolve_by_phone
from wuyou.quality.services.scheduling import (
    DUE_AFTER,
    allowed_at,
    callback_schedule,
    callbacks_after_visit,
    calling_rules_of,
    may_call,
    placed_at,
)

__all__ = [
    "ANSWERED",
    "DUE_AFTER",
    "MAX_ATTEMPTS",
    "NOTE_MAX",
    "OUTCOMES",
    "PHONE_GUIDANCE_CALLBACK_AFTER",
    "allowed_at",
    "callback_move",
    "callback_record",
    "callback_schedule",
    "callback_take",
    "callbacks_after_visit",
    "calling_rules_of",
    "may_call",
    "placed_at",
    "request_resolve_by_phone",
]
