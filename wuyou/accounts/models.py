"""The organisation, its regions and service outlets, staff roles, skills, certificates and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wuyou.calendars.models import BusinessCalendar
from wuyou.core.models import TimeStampedModel


class Role(models.TextChoices):
    """Staff roles (R-H2); the role decides what a person may do, the outlet/region what they may see."""

    SERVICE_MANAGER = "service_manager", _("Head-office service manager")
    CLERK = "clerk", _("Information clerk / agent")
    FOLLOW_UP = "follow_up", _("Follow-up staff")
    TECH_SUPERVISOR = "tech_supervisor", _("Technical supervisor")
    ENGINEER = "engineer", _("Engineer")
    OUTLET_MANAGER = "outlet_manager", _("Outlet manager")
    SALES_REP = "sales_rep", _("Sales representative")
    REGIONAL_MANAGER = "regional_manager", _("Regional manager")
    ADMIN = "admin", _("Administrator")
    INTEGRATION = "integration", _("Integration (API)")


class Organisation(TimeStampedModel):
    """The manufacturer or retailer that runs the service network."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    hotline = models.CharField(_("hotline"), max_length=32, blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("business calendar"),
        help_text=_("Empty: Monday to Friday 08:30–12:00 and 13:30–17:30 with China's statutory holidays."),
    )
    head_of_service = models.ForeignKey(
        "StaffProfile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("head of service"),
        help_text=_("The last level of every escalation chain."),
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Region(TimeStampedModel):
    """A sales and service region of the organisation."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="regions", verbose_name=_("organisation")
    )
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Outlet(TimeStampedModel):
    """A dealer acting as a service outlet (R-H1): its own staff, customers and jobs."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="outlets", verbose_name=_("region"))
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("business calendar"),
        help_text=_("Empty: the organisation's calendar."),
    )

    class Meta:
        verbose_name = _("service outlet")
        verbose_name_plural = _("service outlets")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class StaffProfile(TimeStampedModel):
    """A staff member's role and place in the network; no profile means no access (default deny)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    display_name = models.CharField(_("display name"), max_length=100)
    outlet = models.ForeignKey(
        Outlet,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("outlet"),
        help_text=_("Empty for head-office staff."),
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("region"),
        help_text=_("For regional managers."),
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")
        indexes = [models.Index(fields=["outlet", "role"])]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_role_display()})"


class Skill(models.Model):
    """A service skill an engineer may be certified for (e.g. air-conditioner installation)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Certificate(TimeStampedModel):
    """An engineer's certificate for a skill; once expired the skill no longer counts (R-F7)."""

    engineer = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="certificates", verbose_name=_("engineer")
    )
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("skill"))
    number = models.CharField(_("certificate number"), max_length=64, blank=True)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"))

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(fields=["engineer", "skill", "issued_on"], name="certificate_unique_issue"),
            models.CheckConstraint(
                condition=models.Q(expires_on__gte=models.F("issued_on")), name="certificate_expires_after_issue"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.engineer.display_name} · {self.skill.name}"

    def is_valid_on(self, day: dt.date) -> bool:
        """True when the certificate covers the given day."""
        return self.issued_on <= day <= self.expires_on


class ApiToken(TimeStampedModel):
    """A per-integration API token, stored hashed, scoped to a role and outlet, revocable."""

    name = models.CharField(_("integration name"), max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_tokens",
        verbose_name=_("acting account"),
        help_text=_("The account recorded as the actor of the token's changes."),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.INTEGRATION)
    outlet = models.ForeignKey(
        Outlet,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_tokens",
        verbose_name=_("outlet"),
        help_text=_("Empty for a head-office integration."),
    )
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True, editable=False)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_secret(secret: str) -> str:
        """SHA-256 of the secret: tokens are random 256-bit values, so a fast hash is safe here."""
        return hashlib.sha256(secret.encode()).hexdigest()
