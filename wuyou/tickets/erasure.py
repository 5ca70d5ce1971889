"""What the service desk holds of a customer who is anonymised: registered with customers.erasure in ready()."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.customers.erasure import ErasureSubject, rows_redact
from wuyou.notifications.erasure import messages_redact
from wuyou.tickets.models import OPEN_STATUSES, RequestEvent, ServiceRequest


def open_requests(customer_id: int) -> list[str]:
    """The customer's requests still open (a cancelled or closed one is no longer a job)."""
    open_ = ServiceRequest.objects.filter(customer_id=customer_id, status__in=OPEN_STATUSES).order_by("pk")
    return [_("request %(number)s") % {"number": sr} for sr in open_.only("pk", "number")]


def requests_erase(subject: ErasureSubject) -> int:
    """Blank the requests' contact numbers, redact symptoms, event notes and details, and their messages."""
    requests = list(
        ServiceRequest.objects.filter(customer_id=subject.customer_id).only("pk", "contact_phone", "symptom")
    )
    # A request may give another number to call (his wife's, his office's): it goes too, wherever it was written.
    subject = subject.with_phones(sr.contact_phone for sr in requests)
    changed = 0
    for sr in requests:
        symptom = subject.redact(sr.symptom)
        if sr.contact_phone or symptom != sr.symptom:
            # A new version: a form still open on the old text is refused, not saved over the erasure.
            ServiceRequest.objects.filter(pk=sr.pk).update(
                contact_phone="", symptom=symptom, version=F("version") + 1, updated_at=timezone.now()
            )
            changed += 1
    events = RequestEvent.objects.filter(request__customer_id=subject.customer_id)
    changed += rows_redact(events, subject, ["note"], json=["data"])
    return changed + messages_redact(
        refs=[f"request:{sr.pk}" for sr in requests], redact=subject.redact, addresses=subject.phones
    )
