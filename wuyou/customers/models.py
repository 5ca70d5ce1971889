"""The customer archive (R-A1) and the one customer timeline (R-A2)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wuyou.accounts.models import Outlet
from wuyou.core.models import TimeStampedModel


class Customer(TimeStampedModel):
    """A person or organisation who buys, owns or asks about our products."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        COMPANY = "company", _("Company")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=100, db_index=True)
    contact_person = models.CharField(
        _("contact person"), max_length=100, blank=True, help_text=_("For companies: who to ask for.")
    )
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="customers", verbose_name=_("outlet"))
    dont_call_at_work = models.BooleanField(_("don't call at work"), default=False)
    consent_service_calls = models.BooleanField(_("consents to service calls and callbacks"), default=True)
    consent_marketing = models.BooleanField(_("consents to marketing"), default=False)
    note = models.TextField(_("note"), blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    # Optimistic lock of the record (core.locks.version_claim): a stale edit form is refused, not applied.
    version = models.PositiveIntegerField(_("version"), default=1)
    # A duplicate merged into another record keeps its row (hidden from lists and search) and points at the survivor.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [models.Index(fields=["outlet", "-created_at"])]

    def __str__(self) -> str:
        return self.name


class CustomerPhone(models.Model):
    """One of a customer's phone numbers, stored normalised (mobile digits or `area-local`)."""

    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        LANDLINE = "landline", _("Landline")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones", verbose_name=_("customer"))
    number = models.CharField(_("number"), max_length=20, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    label = models.CharField(_("label"), max_length=30, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        ordering = ["-is_primary", "id"]
        constraints = [models.UniqueConstraint(fields=["customer", "number"], name="phone_unique_per_customer")]

    def __str__(self) -> str:
        return self.number


class GeoPrecision(models.TextChoices):
    """How finely an address's map point is known (wuyou.core.geocoding's precisions, and a point set by hand)."""

    ADDRESS = "address", _("house number (geocoded)")
    STREET = "street", _("street (approximate)")
    DISTRICT = "district", _("district (approximate)")
    CITY = "city", _("city (approximate)")
    MANUAL = "manual", _("set on the map")


class Address(models.Model):
    """One of a customer's addresses, with coordinates for routing."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="addresses", verbose_name=_("customer")
    )
    label = models.CharField(_("label"), max_length=30, blank=True)
    city = models.CharField(_("city"), max_length=50)
    district = models.CharField(_("district"), max_length=50, blank=True)
    detail = models.CharField(_("street address"), max_length=200)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    # How the point was found (docs/geocoding.md): blank when typed in as coordinates, a geocoder's precision when
    # placed from the address text (approximate unless "address"), "manual" when an agent moved it on the map.
    geo_precision = models.CharField(
        _("map point precision"), max_length=10, blank=True, choices=GeoPrecision.choices, default=""
    )
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_primary", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90) | models.Q(latitude__isnull=True),
                name="address_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__gte=-180, longitude__lte=180) | models.Q(longitude__isnull=True),
                name="address_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.full_text

    @property
    def full_text(self) -> str:
        """The address as one line, as written on a Chinese envelope."""
        return f"{self.city}{self.district}{self.detail}"


class ContactWindow(models.Model):
    """When the customer prefers to be called or visited (e.g. weekdays 20:00–21:00)."""

    class Days(models.TextChoices):
        ANY = "any", _("Any day")
        WEEKDAYS = "weekdays", _("Weekdays")
        WEEKEND = "weekend", _("Weekends and holidays")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contact_windows", verbose_name=_("customer")
    )
    days = models.CharField(_("days"), max_length=10, choices=Days.choices, default=Days.ANY)
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("contact window")
        verbose_name_plural = _("contact windows")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="contact_window_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_days_display()} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class TimelineEntry(models.Model):
    """One line on the customer's timeline: a call note, a request event, a unit registration…"""

    class Phase(models.TextChoices):
        PRE_SALES = "pre", _("Pre-sales")
        IN_SALES = "in", _("In-sales")
        AFTER_SALES = "after", _("After-sales")

    class Kind(models.TextChoices):
        NOTE = "note", _("Call note")
        REQUEST = "request", _("Service request")
        UNIT = "unit", _("Product unit")
        CUSTOMER = "customer", _("Customer record")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="timeline", verbose_name=_("customer")
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    phase = models.CharField(_("phase"), max_length=8, choices=Phase.choices, default=Phase.AFTER_SALES)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    summary = models.CharField(_("summary"), max_length=500)
    body = models.TextField(_("details"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    # Where the line was written: an outlet's lines show to that outlet, the head office's (null) to all who see
    # the customer; a line about a request shows where the request does (customers.selectors.timeline_visible).
    outlet = models.ForeignKey(
        Outlet, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("written at")
    )
    ref_kind = models.CharField(_("refers to"), max_length=20, blank=True)
    ref_id = models.BigIntegerField(_("reference id"), null=True, blank=True)
    ref_label = models.CharField(_("reference"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        indexes = [models.Index(fields=["customer", "-occurred_at", "-id"])]

    def __str__(self) -> str:
        return self.summary


class PersonalDataReveal(models.Model):
    """Every deliberate reveal of a masked phone or address (who, whose, when, why)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="reveals", verbose_name=_("customer"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    field = models.CharField(_("field"), max_length=20)
    reason = models.CharField(_("reason"), max_length=200)
    revealed_at = models.DateTimeField(_("revealed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("personal data reveal")
        verbose_name_plural = _("personal data reveals")
        indexes = [models.Index(fields=["customer", "-revealed_at"])]

    def __str__(self) -> str:
        return f"{self.field} @ {self.revealed_at:%Y-%m-%d %H:%M}"


class AnonymisationOutcome(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved: customer anonymised")
    REJECTED = "rejected", _("Rejected")


class AnonymisationRequest(models.Model):
    """A customer's request to be erased (PIPL art. 47), filed by one person and decided by another."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="anonymisation_requests", verbose_name=_("customer")
    )
    reason = models.CharField(_("reason"), max_length=500)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=AnonymisationOutcome.choices, default=AnonymisationOutcome.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("anonymisation request")
        verbose_name_plural = _("anonymisation requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One request waits at a time: a second would be decided twice.
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(outcome="pending"),
                name="anonymisation_one_pending_per_customer",
            ),
            # Four eyes: nobody decides his own request.
            models.CheckConstraint(
                condition=~models.Q(decided_by=models.F("requested_by")), name="anonymisation_decided_by_another"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome="pending", decided_at__isnull=True, decided_by__isnull=True)
                | (~models.Q(outcome="pending") & models.Q(decided_at__isnull=False, decided_by__isnull=False)),
                name="anonymisation_decided_iff_decided_at",
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=["pending", "approved", "rejected"]), name="anonymisation_outcome_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.outcome} @ {self.requested_at:%Y-%m-%d}"

    @property
    def is_pending(self) -> bool:
        return self.outcome == AnonymisationOutcome.PENDING
