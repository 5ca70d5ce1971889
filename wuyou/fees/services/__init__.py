"""Writes of fees: quotes, decisions and settlements (quotes.py), payments and invoice requests (payments.py)."""

from wuyou.fees.services.payments import (
    ENGINEER_PAYS_AT,
    MAX_INVOICE_NUMBER,
    MAX_REFERENCE,
    MAX_TITLE,
    invoice_issue,
    invoice_request,
    may_take_payment,
    payment_record,
    tax_number_checked,
)
from wuyou.fees.services.quotes import (
    DECISIONS,
    MAX_NOTE,
    MAX_SIGNER,
    SETTLER_ROLES,
    quote_decide,
    quote_settle,
    visit_quote_offer,
)

__all__ = [
    "DECISIONS",
    "ENGINEER_PAYS_AT",
    "MAX_INVOICE_NUMBER",
    "MAX_NOTE",
    "MAX_REFERENCE",
    "MAX_SIGNER",
    "MAX_TITLE",
    "SETTLER_ROLES",
    "invoice_issue",
    "invoice_request",
    "may_take_payment",
    "payment_record",
    "quote_decide",
    "quote_settle",
    "tax_number_checked",
    "visit_quote_offer",
]
