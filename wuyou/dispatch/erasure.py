"""What dispatch holds of a customer who is anonymised (his visits): registered with customers.erasure in ready()."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.customers.erasure import ErasureSubject
from wuyou.dispatch.models import OPEN, WorkOrder
from wuyou.notifications.erasure import messages_redact

# A visit keeps where it was to about a kilometre (two decimals), for the maps of where the work is; not his door.
COARSE = Decimal("0.01")


def open_visits(customer_id: int) -> list[str]:
    """The customer's visits not done or cancelled yet."""
    visits = WorkOrder.objects.filter(request__customer_id=customer_id, status__in=OPEN).order_by("pk")
    return [_("visit %(number)s") % {"number": wo} for wo in visits.only("pk", "number")]


def visits_erase(subject: ErasureSubject) -> int:
    """Blank the visits' street and signature, coarsen the point, redact the engineer's notes, and their messages."""
    visits = list(WorkOrder.objects.filter(request__customer_id=subject.customer_id))
    for wo in visits:
        WorkOrder.objects.filter(pk=wo.pk).update(
            address_text=subject.placeholder,
            latitude=wo.latitude.quantize(COARSE),
            longitude=wo.longitude.quantize(COARSE),
            signature="",
            signed_by="",
            diagnosis=subject.redact(wo.diagnosis),
            work_done=subject.redact(wo.work_done),
            test_run_note=subject.redact(wo.test_run_note)[:300],
            version=F("version") + 1,
            updated_at=timezone.now(),
        )
    return len(visits) + messages_redact(refs=[f"work_order:{wo.pk}" for wo in visits], redact=subject.redact)
