"""Quality on the web: the follow-up desk (queue and work page of a callback) and phone guidance (R-E3, R-G1)."""

from wuyou.quality.views.followup import (
    callback_list,
    callback_move,
    callback_record,
    callback_take,
    callback_work,
)
from wuyou.quality.views.guidance import request_resolve_by_phone

__all__ = [
    "callback_list",
    "callback_move",
    "callback_record",
    "callback_take",
    "callback_work",
    "request_resolve_by_phone",
]
