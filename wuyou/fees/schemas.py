"""API shapes of fee quotes: a priced job with the promise behind each line, a visit's quote, the decision."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from wuyou.core.schemas import BoundedDate, CleanText
from wuyou.core.signatures import MAX_SIGNATURE_CHARS

Yuan = Annotated[Decimal, Field(max_digits=12, decimal_places=2)]
FaultCause = Literal["quality", "user_damage", "wear", "misuse"]


class QuotePartIn(Schema):
    """A spare part the job needs, by catalogue code (prices and warranty component come from the catalogue)."""

    code: CleanText = Field(min_length=1, max_length=40)
    quantity: int = Field(1, ge=1, le=99)
    card_price: Yuan | None = Field(None, description="The part's price on the customer's warranty card, if any.")


class QuoteIn(Schema):
    """A job to price: the unit, what is wrong, the parts and labour, and the service date."""

    serial: CleanText = Field(min_length=1, max_length=40)
    job_type: CleanText = Field(min_length=1, max_length=30)
    fault_cause: CleanText = Field(min_length=1, max_length=30)
    service_date: BoundedDate
    parts: list[QuotePartIn] = Field(default_factory=list, max_length=30)
    labour_fee: Yuan | None = Field(None, description="Omit for the fee schedule's labour charge of the job.")
    labour_card_price: Yuan | None = Field(None, description="The labour price on the customer's warranty card.")


class QuoteLineOut(Schema):
    """One priced line and the promise behind it."""

    kind: str
    code: str
    name: str
    quantity: int
    amount: Decimal
    customer_share: Decimal
    rule: str
    policy_version: str
    explanation_key: str
    explanation: str
    notes: list[str]


class QuoteOptionOut(Schema):
    """Return or exchange instead of repair, and until when."""

    kind: str
    eligible: bool
    deadline: dt.date
    explanation: str


class QuoteOut(Schema):
    """A priced job: lines, totals, the customer's options, and the policy version applied."""

    serial: str
    policy: str
    policy_version: str
    lines: list[QuoteLineOut]
    total: Decimal
    customer_total: Decimal
    options: list[QuoteOptionOut]


class VisitQuoteIn(Schema):
    """What the engineer found: the fault's cause and the parts the repair needs (labour is the fee schedule's)."""

    fault_cause: FaultCause
    parts: list[QuotePartIn] = Field(default_factory=list, max_length=30)
    labour_card_price: Yuan | None = None


class FeeQuoteOut(Schema):
    """A visit's quote as shown to the customer, and what became of it."""

    id: int
    number: str
    work_order_id: int
    status: str
    job_type: str
    fault_cause: str
    service_date: dt.date
    policy: str
    policy_version: str
    lines: list[QuoteLineOut]
    options: list[QuoteOptionOut]
    total: Decimal
    customer_total: Decimal
    customer_pays: Decimal
    decided_at: dt.datetime | None
    signed_by: str
    decision_note: str
    settled_at: dt.datetime | None
    settlement_note: str
    receipt_url: str | None


class DecisionIn(Schema):
    """The customer's answer: accept (name and drawn signature), refuse, or dispute (what he disputes)."""

    decision: Literal["accept", "refuse", "dispute"]
    signed_by: CleanText = Field("", max_length=50)
    signature: CleanText = Field("", max_length=MAX_SIGNATURE_CHARS, description="data:image/png;base64,…")
    note: CleanText = Field("", max_length=500)


class SettleIn(Schema):
    """The centre's settlement of a dispute: what the customer pays, and why."""

    customer_pays: Yuan = Field(ge=0)
    note: CleanText = Field(min_length=1, max_length=500)


class ReceiptLineOut(QuoteLineOut):
    """A receipt line: the quote's line with the serial numbers of the parts fitted."""

    serials: list[str]


class ReceiptOut(Schema):
    """The receipt: the agreed lines with their rules, the parts' serials, and what the customer pays."""

    work_order: str
    quote: str
    customer: str
    unit_serial: str
    policy: str
    policy_version: str
    lines: list[ReceiptLineOut]
    total: Decimal
    customer_total: Decimal
    customer_pays: Decimal
    settlement_note: str
    paid: Decimal
    balance_due: Decimal
    payments: list[PaymentOut]
    issued_at: dt.datetime
    pdf_url: str


# -- payments, invoices, the day's takings (R-B5) ------------------------------------------------------------------

PaymentMethodValue = Literal["cash", "wechat", "alipay", "bank_card", "bank_transfer"]


class PaymentIn(Schema):
    """Money the customer paid on site: how, how much (yuan), and the transaction number unless in cash."""

    method: PaymentMethodValue
    amount: Yuan = Field(gt=0)
    reference: CleanText = Field("", max_length=64, description="Transaction number; required unless cash.")


class PaymentOut(Schema):
    id: int
    work_order_id: int
    quote: str
    method: str
    method_label: str
    amount: Decimal
    reference: str
    recorded_by: str
    recorded_at: dt.datetime
    day: dt.date
    balance_due: Decimal


class InvoiceIn(Schema):
    """The customer's invoice (发票) request: a personal or company title, the company's tax number, the e-mail."""

    title_kind: Literal["personal", "company"]
    title: CleanText = Field(min_length=1, max_length=100)
    tax_number: CleanText = Field("", max_length=30, description="统一社会信用代码, 18 characters (company titles).")
    email: CleanText = Field(min_length=3, max_length=254)


class InvoiceOut(Schema):
    id: int
    work_order_id: int
    work_order: str
    title_kind: str
    title: str
    tax_number: str
    email: str
    amount: Decimal
    status: str
    requested_at: dt.datetime
    issued_at: dt.datetime | None
    invoice_number: str


class IssueIn(Schema):
    invoice_number: CleanText = Field("", max_length=40)


class VisitPaymentsOut(Schema):
    """A visit's money: what the customer pays, the payments, the balance due, his invoice request."""

    work_order_id: int
    quote: str | None
    agreed: bool
    customer_pays: Decimal
    paid: Decimal
    balance_due: Decimal
    payments: list[PaymentOut]
    invoice: InvoiceOut | None


class TakingsRowOut(Schema):
    outlet: str
    engineer_id: int | None
    engineer: str
    by_method: dict[str, Decimal]
    count: int
    total: Decimal


class TakingsOut(Schema):
    day: dt.date
    rows: list[TakingsRowOut]
    by_method: dict[str, Decimal]
    total: Decimal


ReceiptOut.model_rebuild()
