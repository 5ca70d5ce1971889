"""What quality holds of a customer who is anonymised (callbacks): registered with customers.erasure in ready()."""

from __future__ import annotations

from django.utils.translation import gettext as _

from wuyou.customers.erasure import ErasureSubject, rows_redact
from wuyou.quality.models import Callback, CallbackAnswer, CallbackStatus, QuestionKind


def pending_callbacks(customer_id: int) -> list[str]:
    """Callbacks still to make: he would be called on a number that is gone."""
    pending = Callback.objects.filter(request__customer_id=customer_id, status=CallbackStatus.PENDING)
    return [_("callback on %(request)s") % {"request": cb.request} for cb in pending.select_related("request")]


def callbacks_erase(subject: ErasureSubject) -> int:
    """Redact what the follow-up staff wrote down and the customer's free-text answers; outcomes, ratings and times
    stay for the satisfaction figures."""
    notes = rows_redact(Callback.objects.filter(request__customer_id=subject.customer_id), subject, ["note"])
    said = CallbackAnswer.objects.filter(
        callback__request__customer_id=subject.customer_id, question__kind=QuestionKind.TEXT
    )
    return notes + rows_redact(said, subject, ["value"])
