"""Builds the demo world step by step through the real services; one instance per load."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Outlet, Region, Skill, StaffProfile
from wuyou.customers.models import Customer
from wuyou.customers.services import (
    CustomerInput,
)
from wuyou.demo import catalogue, qingdao
from wuyou.demo.world import (
    DEMO_PASSWORD,
    DemoScale,
    SimulatedClock,
)
from wuyou.products.models import ProductModel, Unit


@dataclass
class DemoOwner:
    """A planned customer, then the created one."""

    index: int
    district: qingdao.District
    outlet_code: str
    data: CustomerInput
    since: dt.datetime
    owns_units: bool
    customer: Customer | None = None
    units: list[Unit] = field(default_factory=list)
    unit_times: list[dt.datetime] = field(default_factory=list)


class DemoBuilderBase:
    """Builds the demo world step by step; one instance per load."""

    # The head-office logins, made by the staff step (world.py) and used by the later ones.
    agent: Actor
    manager: Actor
    followup: Actor

    def __init__(self, scale: DemoScale, progress: Callable[[str], None]):
        self.scale = scale
        self.progress = progress
        self.rng = random.Random(scale.seed)
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.real_now = timezone.now()
        self.today = timezone.localdate(self.real_now)
        self.password_hash = make_password(DEMO_PASSWORD)
        self.outlets: dict[str, Outlet] = {}
        self.regions: dict[str, Region] = {}
        self.skills: dict[str, Skill] = {}
        self.models: dict[str, ProductModel] = {}
        self.category_of_model: dict[str, catalogue.CategoryPlan] = {}
        self.repair_skills: dict[str, frozenset[str]] = {}
        self.actors: dict[str, Actor] = {}
        self.clerks: dict[str, Actor] = {}
        self.managers: dict[str, Actor] = {}
        self.sales_reps: dict[str, Actor] = {}
        self.engineers: dict[str, list[tuple[StaffProfile, frozenset[str]]]] = {}
        self.owners: list[DemoOwner] = []
        self.holders: list[DemoOwner] = []  # owners with at least one unit
        self.phones_used: set[str] = set()
        self.serial_seq = 0
        self.clock = SimulatedClock(self.real_now)  # started by build()

    # -- helpers -----------------------------------------------------------------------------------
    def local(self, day: dt.date, minute_of_day: int) -> dt.datetime:
        """An aware time on a local calendar day."""
        return dt.datetime.combine(day, dt.time(0), tzinfo=self.tz) + dt.timedelta(minutes=minute_of_day)

    def office_time(self, day: dt.date) -> dt.datetime:
        """A moment between 08:30 and 20:30 local time on the day."""
        return self.local(day, self.rng.randint(8 * 60 + 30, 20 * 60 + 30))

    def hotline_time(self, at: dt.datetime) -> dt.datetime:
        """The moment, or an earlier evening (20:00–22:00 local) when it falls in the night, when few call."""
        minutes = self.rng.randint(0, 119)  # drawn always, so the random stream does not depend on the hour
        local = at.astimezone(self.tz)
        if 7 <= local.hour < 22:
            return at
        day = local.date() - dt.timedelta(days=1) if local.hour < 7 else local.date()
        return self.local(day, 20 * 60 + minutes)

    def working_time(self, at: dt.datetime) -> dt.datetime:
        """The moment, or the next start of field work (08:00–20:00 local) when it falls outside it."""
        minutes = self.rng.randint(0, 90)  # drawn always, as in hotline_time
        local = at.astimezone(self.tz)
        if 8 <= local.hour < 20:
            return at
        day = local.date() if local.hour < 8 else local.date() + dt.timedelta(days=1)
        return self.local(day, 8 * 60 + minutes)

    def _unique(self, make: Callable[[random.Random], str]) -> str:
        while True:
            number = make(self.rng)
            if number not in self.phones_used:
                self.phones_used.add(number)
                return number
