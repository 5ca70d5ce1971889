"""What loaners hold of a customer who is anonymised: registered with customers.erasure in ready()."""

from __future__ import annotations

from django.utils.translation import gettext as _

from wuyou.customers.erasure import ErasureSubject
from wuyou.loaners.models import Loan, TakeBack, TakeBackStage
from wuyou.notifications.erasure import messages_redact


def open_loans(customer_id: int) -> list[str]:
    """His unit still with the service, or our loaner still with him."""
    taken = TakeBack.objects.filter(work_order__request__customer_id=customer_id).exclude(stage=TakeBackStage.RETURNED)
    lent = Loan.objects.filter(work_order__request__customer_id=customer_id, returned_at__isnull=True)
    return [_("take-back %(receipt)s") % {"receipt": t.receipt_number} for t in taken.order_by("pk")] + [
        _("loan %(receipt)s") % {"receipt": loan.receipt_number} for loan in lent.order_by("pk")
    ]


def loans_erase(subject: ErasureSubject) -> int:
    """Blank who signed the receipts, redact the condition notes, and the take-backs' messages."""
    take_backs = list(TakeBack.objects.filter(work_order__request__customer_id=subject.customer_id).only("pk"))
    changed = TakeBack.objects.filter(pk__in=[t.pk for t in take_backs]).update(signed_by="")
    loans = Loan.objects.filter(work_order__request__customer_id=subject.customer_id).only("pk", "returned_condition")
    for loan in loans:
        condition = subject.redact(loan.returned_condition)[:300]
        changed += Loan.objects.filter(pk=loan.pk).update(signed_by="", returned_condition=condition)
    return changed + messages_redact(refs=[f"take_back:{t.pk}" for t in take_backs], redact=subject.redact)
