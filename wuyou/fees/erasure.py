"""What fees hold of a customer who is anonymised: registered with customers.erasure in ready().

The figures stay exactly as quoted and settled; the signature, the name who signed and his words go.
"""

from __future__ import annotations

from wuyou.customers.erasure import ErasureSubject
from wuyou.fees.models import FeeQuote, InvoiceRequest, InvoiceTitle
from wuyou.notifications.erasure import messages_redact


def quotes_erase(subject: ErasureSubject) -> int:
    """Blank the quotes' signatures and signers, redact the customer's words and the settlement notes."""
    quotes = list(
        FeeQuote.objects.filter(work_order__request__customer_id=subject.customer_id).only(
            "pk", "signed_by", "signature", "decision_note", "settlement_note"
        )
    )
    for fee in quotes:
        fee.signed_by, fee.signature = "", ""
        fee.decision_note = subject.redact(fee.decision_note)[:500]
        fee.settlement_note = subject.redact(fee.settlement_note)[:500]
        fee.save(update_fields=["signed_by", "signature", "decision_note", "settlement_note"])
    return len(quotes) + messages_redact(refs=[f"fee_quote:{fee.pk}" for fee in quotes], redact=subject.redact)


def invoices_erase(subject: ErasureSubject) -> int:
    """A personal invoice title is the customer's name: blank it and the e-mail; a company's title stays."""
    invoices = InvoiceRequest.objects.filter(work_order__request__customer_id=subject.customer_id)
    personal = invoices.filter(title_kind=InvoiceTitle.PERSONAL).update(title="", email="")
    companies = invoices.filter(title_kind=InvoiceTitle.COMPANY).update(email="")
    return personal + companies
