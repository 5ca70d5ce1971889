"""Fee quotes shown to the customer on a visit, his decision, the centre's settlement (R-B3, R-B4).

The table keeps its dispatch name (ADR 0004).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wuyou.accounts.models import Outlet, StaffProfile
from wuyou.core.models import TimeStampedModel
from wuyou.dispatch.models import WorkOrder


class FeeVerb(models.TextChoices):
    """What fees write in a request's history."""

    QUOTED = "fee_quoted", _("Quote shown to the customer")
    ACCEPTED = "fee_accepted", _("Quote accepted")
    REFUSED = "fee_refused", _("Quote refused")
    DISPUTED = "fee_disputed", _("Quote disputed")
    SETTLED = "fee_settled", _("Dispute settled")
    PAID = "fee_paid", _("Payment recorded")
    INVOICE_REQUESTED = "fee_invoice_requested", _("Invoice requested")
    INVOICE_ISSUED = "fee_invoice_issued", _("Invoice issued")


class QuoteStatus(models.TextChoices):
    PROPOSED = "proposed", _("Shown to the customer")
    ACCEPTED = "accepted", _("Accepted by the customer")
    REFUSED = "refused", _("Refused by the customer")
    DISPUTED = "disputed", _("Disputed: with the centre")
    SETTLED = "settled", _("Settled by the centre")
    SUPERSEDED = "superseded", _("Replaced by a newer quote")


# The customer has agreed to what he pays: parts may be used and a receipt printed.
AGREED = (QuoteStatus.ACCEPTED, QuoteStatus.SETTLED)


class FeeQuote(TimeStampedModel):
    """The priced job shown to the customer before work, frozen as shown, and what the customer decided.

    `lines` keep each line's explanation as a key and parameters, so the quote and its receipt read in the
    reader's language while the figures and the policy version stay exactly as quoted. A visit has one current
    quote; quoting again replaces it (the old one stays, superseded).
    """

    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("work order")
    )
    number = models.CharField(_("number"), max_length=30, unique=True)
    status = models.CharField(_("status"), max_length=12, choices=QuoteStatus.choices, default=QuoteStatus.PROPOSED)
    job_type = models.CharField(_("job type"), max_length=20)
    fault_cause = models.CharField(_("fault cause"), max_length=20)
    service_date = models.DateField(_("service date"))
    policy_code = models.CharField(pgettext_lazy("a warranty policy", "policy"), max_length=60)
    policy_version = models.CharField(_("policy version"), max_length=60)
    lines = models.JSONField(_("lines"), default=list)
    options = models.JSONField(_("return and exchange options"), default=list, blank=True)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    customer_total = models.DecimalField(_("customer pays"), max_digits=12, decimal_places=2)
    quoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    signed_by = models.CharField(_("signed by"), max_length=50, blank=True)
    signature = models.TextField(_("customer's signature"), blank=True, help_text=_("PNG drawn on the screen."))
    decision_note = models.CharField(_("customer's words"), max_length=500, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    settled_total = models.DecimalField(
        _("customer pays after settlement"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    settlement_note = models.CharField(_("settlement"), max_length=500, blank=True)

    class Meta:
        db_table = "dispatch_feequote"  # the table it had in dispatch (ADR 0004)
        verbose_name = _("fee quote")
        verbose_name_plural = _("fee quotes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["work_order"],
                condition=~models.Q(status="superseded"),
                name="fee_quote_one_current_per_work_order",
            ),
            models.CheckConstraint(condition=models.Q(total__gte=0), name="fee_quote_total_not_negative"),
            models.CheckConstraint(
                condition=models.Q(customer_total__gte=0) & models.Q(customer_total__lte=models.F("total")),
                name="fee_quote_customer_share_within_total",
            ),
            models.CheckConstraint(
                condition=models.Q(settled_total__isnull=True) | models.Q(settled_total__gte=0),
                name="fee_quote_settled_total_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def customer_pays(self) -> Decimal:
        """What the customer pays: the centre's settlement when there was one, else the quoted share."""
        return Decimal(self.settled_total if self.settled_total is not None else self.customer_total)


# -- what the customer paid on site, and his invoice request (R-B5) ----------------------------------------------


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    BANK_CARD = "bank_card", _("Bank card")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")


class Payment(TimeStampedModel):
    """Money the customer handed over for an agreed quote: how, how much, the transaction number, who took it.

    Several payments may add up to what the customer pays; never more. `day` is the outlet's local day it was
    taken (the day's takings read it) and `engineer` the visit's engineer who collected it.
    """

    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.PROTECT, related_name="payments", verbose_name=_("work order")
    )
    quote = models.ForeignKey(FeeQuote, on_delete=models.PROTECT, related_name="payments", verbose_name=_("quote"))
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="+", verbose_name=_("outlet"))
    engineer = models.ForeignKey(
        StaffProfile, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("engineer")
    )
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reference = models.CharField(_("transaction number"), max_length=64, blank=True)
    day = models.DateField(_("day"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["outlet", "day"], name="fee_payment_outlet_day")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="fee_payment_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(method="cash") | ~models.Q(reference=""), name="fee_payment_reference_unless_cash"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.method} {self.amount}"


class InvoiceTitle(models.TextChoices):
    PERSONAL = "personal", _("Personal (个人)")
    COMPANY = "company", _("Company")


class InvoiceStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ISSUED = "issued", _("Issued")


class InvoiceRequest(TimeStampedModel):
    """The customer's request for an e-invoice (发票) of a visit, for the finance desk to issue."""

    work_order = models.OneToOneField(
        WorkOrder, on_delete=models.PROTECT, related_name="invoice_request", verbose_name=_("work order")
    )
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="+", verbose_name=_("outlet"))
    title_kind = models.CharField(_("title type"), max_length=10, choices=InvoiceTitle.choices)
    title = models.CharField(_("invoice title"), max_length=100)
    tax_number = models.CharField(_("tax number"), max_length=18, blank=True)
    email = models.EmailField(_("e-mail for the e-invoice"), max_length=254)
    amount = models.DecimalField(_("amount paid"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invoice_number = models.CharField(_("invoice number"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("invoice request")
        verbose_name_plural = _("invoice requests")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"
