"""Loads the demo: one appliance maker in Qingdao, its network, customers, units and requests.

The history is replayed through the real services (customer_create, customer_note_add,
request_open, request_transition, request_assign, request_verify) so that every event and
timeline line is exactly what production writes; only units are written in bulk, row for row as
unit_register writes them (tested), because 3,000 service calls would take most of the time
budget. To spread the history over past months and years the loader runs the services under a
simulated clock (see `SimulatedClock`). Everything is drawn from one seeded random generator:
the same seed gives the same names, numbers, addresses and requests; times are relative to the
moment of loading.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar
from unittest import mock
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Certificate, Organisation, Outlet, Region, Role, Skill, StaffProfile
from wuyou.accounts.services import api_token_issue
from wuyou.core.errors import Conflict, ValidationFailed
from wuyou.customers.models import Address, ContactWindow, Customer, TimelineEntry
from wuyou.customers.services import (
    AddressInput,
    ContactWindowInput,
    CustomerInput,
    customer_create,
    customer_note_add,
)
from wuyou.demo import catalogue, parts, people, qingdao, repairs
from wuyou.demo.field import field_day_load, field_engineers_set_up
from wuyou.products.models import JobSpec, JobType, ProductCategory, ProductModel, Unit, UnitEvent
from wuyou.products.services import UnitInput, normalise_serial
from wuyou.tickets.clocks import time_limits_install
from wuyou.tickets.models import (
    DEFAULT_CHAIN,
    CallType,
    Channel,
    LimitUnit,
    Priority,
    ServiceRequest,
    Status,
    TimeLimitPolicy,
)
from wuyou.tickets.services import (
    RequestDetails,
    RequestInput,
    request_assign,
    request_open,
    request_transition,
    request_verify,
)
from wuyou.tickets.sweep import clocks_sweep

DEMO_PASSWORD = "wuyou-demo-2026"  # demo only: every demo account shares it
INTEGRATION_USERNAME = "integration"
TOKEN_NAME = "演示 CRM 集成 (demo integration)"
FIELD_CALL_TYPES = (CallType.REPAIR, CallType.ORDER_REPORT)
# The demo drill: an urgent inquiry must be answered within 12 minutes (warns at 6, escalates at 12, 18, 24).
DRILL_HOURS = Decimal("0.2")
_Choice = TypeVar("_Choice", bound=str)


@dataclass(frozen=True)
class DemoScale:
    """How much demo data to load; the defaults are the full demo, tests pass smaller numbers."""

    customers: int = 2000
    units: int = 3000
    requests: int = 500
    engineers: int = 40
    seed: int = 2026


@dataclass(frozen=True)
class DemoLogin:
    """One row of the printed logins table."""

    username: str
    role: str
    place: str


@dataclass
class DemoResult:
    """What a load did: whether it loaded, the logins, the integration token (shown once) and counts."""

    loaded: bool
    logins: list[DemoLogin]
    token_secret: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


# The accounts printed for the reader of the README, in table order: username, role, where.
FEATURED: tuple[tuple[str, str, str], ...] = (
    ("manager", Role.SERVICE_MANAGER, "hq"),
    ("agent", Role.CLERK, "hq"),
    ("followup", Role.FOLLOW_UP, "hq"),
    ("supervisor", Role.TECH_SUPERVISOR, "hq"),
    ("regional", Role.REGIONAL_MANAGER, "region"),
    ("outlet_manager", Role.OUTLET_MANAGER, "outlet"),
    ("outlet_clerk", Role.CLERK, "outlet"),
    ("engineer", Role.ENGINEER, "outlet"),
    ("sales", Role.SALES_REP, "outlet"),
    ("admin", Role.ADMIN, "hq"),
)


class SimulatedClock:
    """While active, `django.utils.timezone.now()` returns `self.now`, so services back-date what they write.

    Only the demo loader uses it, inside its own command and transaction; it is restored on exit.
    """

    def __init__(self, start: dt.datetime):
        self.now = start
        self._patcher = mock.patch.object(timezone, "now", lambda: self.now)

    def __enter__(self) -> SimulatedClock:
        self._patcher.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._patcher.stop()


def demo_is_loaded() -> bool:
    """True when the demo organisation exists (a second load does nothing)."""
    return Organisation.objects.filter(code=catalogue.ORGANISATION_CODE).exists()


def demo_logins() -> list[DemoLogin]:
    """The featured demo accounts as they are in the database."""
    usernames = [username for username, _r, _p in FEATURED]
    profiles = {
        p.user.username: p
        for p in StaffProfile.objects.filter(user__username__in=usernames).select_related("user", "outlet", "region")
    }
    rows: list[DemoLogin] = []
    for username in usernames:
        profile = profiles.get(username)
        if profile is None:
            continue
        place = profile.outlet.name if profile.outlet else profile.region.name if profile.region else "总部 head office"
        role = str(profile.get_role_display())
        if profile.user.is_superuser:
            role += " (superuser)"
        rows.append(DemoLogin(username=username, role=role, place=place))
    return rows


def demo_token_issue() -> str:
    """Issue a fresh head-office token for the demo integration and return its secret (shown once)."""
    user = get_user_model().objects.get(username=INTEGRATION_USERNAME)
    _token, secret = api_token_issue(name=TOKEN_NAME, user_id=user.pk, role=Role.INTEGRATION)
    return secret


def demo_load(*, scale: DemoScale | None = None, progress: Callable[[str], None] | None = None) -> DemoResult:
    """Load the demo unless it is there already; all or nothing (one transaction)."""
    scale = scale or DemoScale()
    if scale.requests and (scale.customers < len(qingdao.OUTLET_SITES) or scale.units < len(qingdao.OUTLET_SITES)):
        raise ValidationFailed(
            "Load at least 8 customers and 8 units (one per outlet) with requests.", field="customers"
        )
    if scale.units and not scale.customers:
        raise ValidationFailed("Units need customers to own them.", field="customers")
    if demo_is_loaded():
        return DemoResult(loaded=False, logins=demo_logins())
    started = time.perf_counter()
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        builder = _DemoBuilder(scale, progress or (lambda _message: None))
        builder.build()
        secret = demo_token_issue()
    counts = {
        "outlets": Outlet.objects.count(),
        "engineers": StaffProfile.objects.filter(role=Role.ENGINEER).count(),
        "customers": Customer.objects.count(),
        "units": Unit.objects.count(),
        "requests": ServiceRequest.objects.count(),
    }
    return DemoResult(
        loaded=True, logins=demo_logins(), token_secret=secret, counts=counts, seconds=time.perf_counter() - started
    )


@dataclass(frozen=True)
class DemoUnitRow:
    """A unit to register in bulk: who registered it, for whom, what, and when."""

    actor: Actor
    owner: Customer
    data: UnitInput
    registered_at: dt.datetime


def demo_units_register(*, rows: list[DemoUnitRow]) -> list[Unit]:
    """Register many units at once, writing exactly the rows `unit_register` writes, back-dated.

    unit_register costs about ten queries a unit; the full demo has 3,000. A test compares the
    rows written here with the service's so the two cannot drift apart. Input is the demo's own,
    so it is not validated again.
    """
    models = {m.code: m for m in ProductModel.objects.filter(code__in={r.data.model_code for r in rows})}
    units = [
        Unit(
            serial=normalise_serial(r.data.serial),
            product_model=models[r.data.model_code],
            owner=r.owner,
            purchase_date=r.data.purchase_date,
            selling_outlet_id=r.data.selling_outlet_id,
            installed_on=r.data.installed_on,
            install_address_id=r.data.install_address_id,
        )
        for r in rows
    ]
    Unit.objects.bulk_create(units, batch_size=500)
    events = [
        UnitEvent(
            unit=unit,
            verb=UnitEvent.Verb.REGISTERED,
            actor_id=r.actor.user_id,
            data={"owner_id": r.owner.pk, "purchase_date": str(r.data.purchase_date or "")},
        )
        for unit, r in zip(units, rows, strict=True)
    ]
    UnitEvent.objects.bulk_create(events, batch_size=500)
    # auto_now_add stamps a whole batch with one time: set each row's own time afterwards.
    for unit, event, r in zip(units, events, rows, strict=True):
        unit.created_at = unit.updated_at = event.occurred_at = r.registered_at
    Unit.objects.bulk_update(units, ["created_at", "updated_at"], batch_size=500)
    UnitEvent.objects.bulk_update(events, ["occurred_at"], batch_size=500)
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                customer_id=r.owner.pk,
                occurred_at=r.registered_at,
                kind=TimelineEntry.Kind.UNIT,
                phase=TimelineEntry.Phase.IN_SALES,
                actor_id=r.actor.user_id,
                ref_kind="unit",
                ref_id=unit.pk,
                ref_label=unit.serial,
                summary=_("Registered %(model)s, serial %(serial)s")
                % {"model": unit.product_model.code, "serial": unit.serial},
            )
            for unit, r in zip(units, rows, strict=True)
        ],
        batch_size=500,
    )
    return units


@dataclass
class _Owner:
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


@dataclass(frozen=True)
class _RequestPlan:
    """What one demo request will go through."""

    call_type: str
    target: str
    to_verify: bool = False
    verify_first: bool = False
    reopen: bool = False
    featured: bool = False  # outlet 1, assigned to the `engineer` login


# Requests that must exist whatever the scale: every state, every call type, "to verify" and the
# featured engineer's jobs (active and finished ones).
_COVERAGE: tuple[_RequestPlan, ...] = (
    _RequestPlan(CallType.REPAIR, Status.ACCEPTED, featured=True),
    _RequestPlan(CallType.REPAIR, Status.IN_PROGRESS, featured=True),
    _RequestPlan(CallType.ORDER_REPORT, Status.WAITING_CUSTOMER, featured=True),
    _RequestPlan(CallType.REPAIR, Status.WAITING_PARTS, featured=True),
    _RequestPlan(CallType.REPAIR, Status.RESOLVED, featured=True),
    _RequestPlan(CallType.REPAIR, Status.CLOSED, featured=True),
    _RequestPlan(CallType.CONSULTATION, Status.CLOSED),
    _RequestPlan(CallType.INQUIRY, Status.RESOLVED),
    _RequestPlan(CallType.GENERAL, Status.NEW),
    _RequestPlan(CallType.COMPLAINT, Status.ACCEPTED),
    _RequestPlan(CallType.ORDER_REPORT, Status.NEW),
    _RequestPlan(CallType.REPAIR, Status.CANCELLED),
    _RequestPlan(CallType.REPAIR, Status.NEW, to_verify=True),
    _RequestPlan(CallType.ORDER_REPORT, Status.ACCEPTED, to_verify=True),
    _RequestPlan(CallType.REPAIR, Status.CLOSED, verify_first=True),
    _RequestPlan(CallType.REPAIR, Status.CLOSED, reopen=True),
)

_CALL_TYPE_WEIGHTS = {
    CallType.REPAIR: 45,
    CallType.ORDER_REPORT: 20,
    CallType.CONSULTATION: 10,
    CallType.INQUIRY: 8,
    CallType.GENERAL: 9,
    CallType.COMPLAINT: 8,
}
_FIELD_STATES = {
    Status.NEW: 8,
    Status.ACCEPTED: 8,
    Status.IN_PROGRESS: 8,
    Status.WAITING_CUSTOMER: 4,
    Status.WAITING_PARTS: 5,
    Status.RESOLVED: 12,
    Status.CLOSED: 45,
    Status.CANCELLED: 10,
}
_COMPLAINT_STATES = {
    Status.NEW: 10,
    Status.ACCEPTED: 15,
    Status.IN_PROGRESS: 10,
    Status.WAITING_CUSTOMER: 5,
    Status.RESOLVED: 15,
    Status.CLOSED: 40,
    Status.CANCELLED: 3,
}
_DESK_STATES = {Status.NEW: 10, Status.ACCEPTED: 10, Status.RESOLVED: 15, Status.CLOSED: 55, Status.CANCELLED: 10}
_FINISHED = (Status.RESOLVED, Status.CLOSED, Status.CANCELLED)
_CHANNELS = {
    Channel.HOTLINE: 55,
    Channel.WECHAT: 15,
    Channel.WEB: 7,
    Channel.PORTAL: 5,
    Channel.DEALER: 12,
    Channel.VISIT: 6,
}
_WINDOWS = (
    (ContactWindow.Days.WEEKDAYS, dt.time(18, 30), dt.time(21, 0)),
    (ContactWindow.Days.WEEKEND, dt.time(9, 0), dt.time(12, 0)),
    (ContactWindow.Days.ANY, dt.time(12, 0), dt.time(13, 30)),
    (ContactWindow.Days.WEEKDAYS, dt.time(20, 0), dt.time(21, 0)),
)


def _weighted(rng: random.Random, weights: Mapping[_Choice, int]) -> _Choice:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def plan_requests(rng: random.Random, count: int) -> list[_RequestPlan]:
    """The requests to load: the coverage set first, then a realistic random mix."""
    plans = list(_COVERAGE[:count])
    while len(plans) < count:
        call_type = _weighted(rng, _CALL_TYPE_WEIGHTS)
        if call_type in FIELD_CALL_TYPES:
            target = _weighted(rng, _FIELD_STATES)
        elif call_type == CallType.COMPLAINT:
            target = _weighted(rng, _COMPLAINT_STATES)
        else:
            target = _weighted(rng, _DESK_STATES)
        to_verify = (
            call_type in FIELD_CALL_TYPES
            and target in (Status.NEW, Status.ACCEPTED, Status.CANCELLED)
            and rng.random() < 0.25
        )
        verify_first = (
            call_type == CallType.REPAIR
            and not to_verify
            and target not in (Status.NEW, Status.CANCELLED)
            and rng.random() < 0.06
        )
        reopen = call_type in FIELD_CALL_TYPES and target == Status.CLOSED and rng.random() < 0.05
        plans.append(_RequestPlan(call_type, target, to_verify=to_verify, verify_first=verify_first, reopen=reopen))
    return plans


def request_steps(plan: _RequestPlan, rng: random.Random) -> list[str]:
    """The actions that take a request of this plan from "new" to its target state."""
    target = plan.target
    steps: list[str] = ["verify"] if plan.verify_first else []
    if plan.call_type in FIELD_CALL_TYPES:
        base = ["accept"] if plan.to_verify else ["accept", "assign"]
        if target == Status.ACCEPTED:
            steps += base
        elif target == Status.IN_PROGRESS:
            steps += base + ["start"]
        elif target == Status.WAITING_CUSTOMER:
            steps += base + (["start"] if rng.random() < 0.5 else []) + ["wait_customer"]
        elif target == Status.WAITING_PARTS:
            steps += base + ["start", "wait_parts"]
        elif target in (Status.RESOLVED, Status.CLOSED):
            steps += base + ["start"] + (["wait_parts", "resume"] if rng.random() < 0.2 else []) + ["resolve"]
            if target == Status.CLOSED:
                steps += ["close"] + (["reopen", "start", "resolve", "close"] if plan.reopen else [])
        elif target == Status.CANCELLED:
            steps += rng.choice([[], ["accept"], base])[:] + ["cancel"]
    elif plan.call_type == CallType.COMPLAINT:
        steps += {
            Status.NEW: [],
            Status.ACCEPTED: ["accept"],
            Status.IN_PROGRESS: ["accept", "start"],
            Status.WAITING_CUSTOMER: ["accept", "wait_customer"],
            Status.RESOLVED: ["accept", "start", "resolve"],
            Status.CLOSED: ["accept", "start", "resolve", "close"],
            Status.CANCELLED: ["accept", "cancel"],
        }[Status(target)]
    else:
        answered = ["accept", "resolve"] if rng.random() < 0.6 else ["resolve"]
        steps += {
            Status.NEW: [],
            Status.ACCEPTED: ["accept"],
            Status.RESOLVED: answered,
            Status.CLOSED: answered + ["close"],
            Status.CANCELLED: ["cancel"],
        }[Status(target)]
    return steps


class _DemoBuilder:
    """Builds the demo world step by step; one instance per load."""

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
        self.owners: list[_Owner] = []
        self.holders: list[_Owner] = []  # owners with at least one unit
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

    def _staff(
        self,
        username: str,
        role: str,
        display_name: str,
        *,
        outlet: Outlet | None = None,
        region: Region | None = None,
        superuser: bool = False,
    ) -> tuple[StaffProfile, Actor]:
        user_model = get_user_model()
        if user_model.objects.filter(username=username).exists():
            raise Conflict(
                f"A user named {username!r} exists already: load the demo into an empty database.", field="username"
            )
        user = user_model(
            username=username,
            password=self.password_hash,
            is_staff=superuser,
            is_superuser=superuser,
            first_name=display_name,
        )
        user.save()
        profile = StaffProfile.objects.create(
            user=user,
            role=role,
            display_name=display_name,
            outlet=outlet,
            region=region,
            phone=self._unique(people.mobile_number),
        )
        actor = Actor(
            user_id=user.pk,
            role=role,
            outlet_id=outlet.pk if outlet else None,
            region_id=region.pk if region else None,
            display_name=display_name,
        )
        self.actors[username] = actor
        return profile, actor

    def _unique(self, make: Callable[[random.Random], str]) -> str:
        while True:
            number = make(self.rng)
            if number not in self.phones_used:
                self.phones_used.add(number)
                return number

    # -- the steps ----------------------------------------------------------------------------------
    def build(self) -> None:
        """Everything, in dependency order."""
        self.network()
        self.product_catalogue()
        self.staff()
        with self.clock:
            self.customers()
            self.units()
            self.notes()
            self.requests()
            self.clock.now = self.real_now
            self.time_limit_drill()
            self.field_service()
            report = clocks_sweep()
        self.progress(
            f"deadline sweep: {report.warned} warned, {report.breached} breached, {report.escalated} escalated"
        )
        self.progress("done")

    def network(self) -> None:
        """The organisation, 3 regions and 8 outlets with real district addresses and coordinates."""
        time_limits_install()
        org = Organisation.objects.create(
            code=catalogue.ORGANISATION_CODE, name=catalogue.ORGANISATION_NAME, hotline=catalogue.HOTLINE
        )
        for plan in qingdao.REGIONS:
            region = Region.objects.create(organisation=org, code=plan.code, name=plan.name)
            self.regions[plan.code] = region
            for site in plan.outlets:
                self.outlets[site.code] = Outlet.objects.create(
                    region=region,
                    code=site.code,
                    name=site.name,
                    address=f"{qingdao.CITY}{site.district}{site.address}",
                    latitude=site.latitude,
                    longitude=site.longitude,
                    phone=site.phone,
                )
        self.progress(f"network: {len(self.regions)} regions, {len(self.outlets)} outlets")

    def product_catalogue(self) -> None:
        """Skills, product categories and models with their job specifications."""
        for code, name in catalogue.SKILLS:
            self.skills[code] = Skill.objects.create(code=code, name=name)
        for category_plan in catalogue.CATEGORIES:
            category = ProductCategory.objects.create(code=category_plan.code, name=category_plan.name)
            for model_plan in category_plan.models:
                model = ProductModel.objects.create(
                    code=model_plan.code,
                    name=model_plan.name,
                    category=category,
                    warranty_months=category_plan.warranty_months,
                )
                self.models[model.code] = model
                self.category_of_model[model.code] = category_plan
                for job in model_plan.jobs:
                    spec = JobSpec.objects.create(
                        product_model=model, job_type=job.job_type, standard_minutes=job.minutes
                    )
                    spec.skills.set([self.skills[code] for code in job.skills])
                    if job.job_type == JobType.REPAIR:
                        self.repair_skills[model.code] = frozenset(job.skills)
        self.progress(f"catalogue: {len(self.skills)} skills, {len(self.models)} product models")

    def staff(self) -> None:
        """Head office, regional managers, and per outlet a manager, a clerk, a sales rep and engineers."""
        rng = self.rng
        _p, self.agent = self._staff("agent", Role.CLERK, people.person_name(rng))
        _p, self.manager = self._staff("manager", Role.SERVICE_MANAGER, people.person_name(rng))
        _p, self.followup = self._staff("followup", Role.FOLLOW_UP, people.person_name(rng))
        self._staff("supervisor", Role.TECH_SUPERVISOR, people.person_name(rng))
        self._staff("admin", Role.ADMIN, "系统管理员", superuser=True)
        integration, _a = self._staff(INTEGRATION_USERNAME, Role.INTEGRATION, "CRM 集成")
        integration.user.set_unusable_password()
        integration.user.save(update_fields=["password"])
        for i, region in enumerate(self.regions.values()):
            self._staff(
                "regional" if i == 0 else f"{region.code}-manager",
                Role.REGIONAL_MANAGER,
                people.person_name(rng),
                region=region,
            )
        per_outlet, extra = divmod(max(self.scale.engineers, len(self.outlets)), len(self.outlets))
        certificate_no = 0
        for o, (code, outlet) in enumerate(self.outlets.items()):
            first = o == 0
            _p, self.managers[code] = self._staff(
                "outlet_manager" if first else f"{code}-manager",
                Role.OUTLET_MANAGER,
                people.person_name(rng),
                outlet=outlet,
            )
            _p, self.clerks[code] = self._staff(
                "outlet_clerk" if first else f"{code}-clerk", Role.CLERK, people.person_name(rng), outlet=outlet
            )
            _p, self.sales_reps[code] = self._staff(
                "sales" if first else f"{code}-sales", Role.SALES_REP, people.person_name(rng), outlet=outlet
            )
            self.engineers[code] = []
            for e in range(per_outlet + (1 if o < extra else 0)):
                username = "engineer" if first and e == 0 else f"{code}-eng{e + 1}"
                profile, _a = self._staff(username, Role.ENGINEER, people.person_name(rng), outlet=outlet)
                specialty = catalogue.SPECIALTIES[(o + e) % len(catalogue.SPECIALTIES)]
                valid: set[str] = set()
                for s, skill_code in enumerate(specialty):
                    certificate_no += 1
                    # A few certificates have lapsed (R-F7): every ninth engineer's last one, and some by chance.
                    lapsed = (certificate_no % 9 == 4 and s == len(specialty) - 1) or rng.random() < 0.03
                    if lapsed and username != "engineer":
                        issued = self.today - dt.timedelta(days=rng.randint(1100, 1500))
                    else:
                        issued = self.today - dt.timedelta(days=rng.randint(30, 1060))
                        valid.add(skill_code)
                    Certificate.objects.create(
                        engineer=profile,
                        skill=self.skills[skill_code],
                        issued_on=issued,
                        expires_on=issued + dt.timedelta(days=1095),
                        number=f"HXD-{skill_code[:4].upper()}-{issued.year}-{certificate_no:04d}",
                    )
                self.engineers[code].append((profile, frozenset(valid)))
        total = sum(len(v) for v in self.engineers.values())
        self.progress(f"staff: {StaffProfile.objects.count()} accounts, {total} engineers")

    def customers(self) -> None:
        """Customers filed through customer_create, each at the time they first bought or called."""
        rng = self.rng
        district_weights = [d.weight for d in qingdao.DISTRICTS]
        outlet_of_district = {site.district: site.code for site in qingdao.OUTLET_SITES}
        for i in range(self.scale.customers):
            district = (
                qingdao.DISTRICTS[i]
                if i < len(qingdao.DISTRICTS)
                else rng.choices(qingdao.DISTRICTS, weights=district_weights)[0]
            )
            company = i >= len(qingdao.DISTRICTS) and rng.random() < 0.04
            owns_units = i < len(qingdao.DISTRICTS) or rng.random() < 0.88
            if company:
                name, contact = people.company_name(rng), people.person_name(rng)
                phones = [self._unique(people.landline_number), self._unique(people.mobile_number)]
            else:
                name, contact = people.person_name(rng), ""
                phones = [self._unique(people.mobile_number)]
                if rng.random() < 0.10:
                    phones.append(self._unique(people.mobile_number))
                if rng.random() < 0.12:
                    phones.append(self._unique(people.landline_number))
            addresses: list[AddressInput] = []
            if owns_units or rng.random() < 0.75:
                lat, lng = people.point_in(rng, district)
                addresses.append(
                    AddressInput(
                        city=qingdao.CITY,
                        district=district.name,
                        latitude=lat,
                        longitude=lng,
                        detail=people.street_address(rng, district),
                        label="公司" if company else "家",
                    )
                )
                if rng.random() < 0.08:
                    other = rng.choice(qingdao.DISTRICTS)
                    lat, lng = people.point_in(rng, other)
                    addresses.append(
                        AddressInput(
                            city=qingdao.CITY,
                            district=other.name,
                            latitude=lat,
                            longitude=lng,
                            detail=people.street_address(rng, other),
                            label=rng.choice(["单位", "父母家"]),
                        )
                    )
            windows = (
                [
                    ContactWindowInput(days=d, starts_at=s, ends_at=e)
                    for d, s, e in rng.sample(_WINDOWS, k=rng.choice([1, 1, 2]))
                ]
                if rng.random() < 0.35
                else []
            )
            data = CustomerInput(
                name=name,
                kind=Customer.Kind.COMPANY if company else Customer.Kind.PERSON,
                contact_person=contact,
                phones=phones,
                addresses=addresses,
                contact_windows=windows,
                outlet_id=self.outlets[outlet_of_district[district.name]].pk,
                dont_call_at_work=rng.random() < 0.15,
                consent_service_calls=rng.random() < 0.97,
                consent_marketing=rng.random() < 0.30,
            )
            days_ago = int(20 + (6 * 365 - 20) * rng.random() ** 1.6)
            since = self.office_time(self.today - dt.timedelta(days=days_ago))
            owner = _Owner(
                index=i,
                district=district,
                outlet_code=outlet_of_district[district.name],
                data=data,
                since=since,
                owns_units=owns_units,
            )
            self.clock.now = since
            actor = self.clerks[owner.outlet_code] if rng.random() < 0.3 else self.agent
            owner.customer = customer_create(actor=actor, data=data)
            self.owners.append(owner)
        self.progress(f"customers: {len(self.owners)}")

    def units(self) -> None:
        """Units registered on their purchase day (in bulk, as unit_register would); every holder has one."""
        rng = self.rng
        holders = [o for o in self.owners if o.owns_units]
        if not holders:
            return
        counts = [0] * len(holders)
        for n in range(self.scale.units):
            slot = n if n < len(holders) else rng.randrange(len(holders))
            counts[slot] += 1
        category_weights = [c.weight for c in catalogue.CATEGORIES]
        latest_purchase = self.today - dt.timedelta(days=3)
        rows: list[DemoUnitRow] = []
        owners_of_rows: list[_Owner] = []
        primary_address = dict(
            Address.objects.filter(customer__in=[o.customer for o in holders], is_primary=True).values_list(
                "customer_id", "pk"
            )
        )
        for owner, count in zip(holders, counts, strict=True):
            assert owner.customer is not None
            address_id = primary_address.get(owner.customer.pk)
            for k in range(count):
                if owner.index == 0 and k == 0:
                    category = catalogue.CATEGORIES[0]  # the featured engineer's first customer has an AC
                else:
                    category = rng.choices(catalogue.CATEGORIES, weights=category_weights)[0]
                model = rng.choice(category.models)
                if k == 0:
                    registered = owner.since + dt.timedelta(minutes=rng.randint(5, 40))
                else:
                    span = max((latest_purchase - owner.since.date()).days, 0)
                    registered = self.office_time(owner.since.date() + dt.timedelta(days=rng.randint(0, span)))
                    registered = max(registered, owner.since + dt.timedelta(minutes=5))
                purchase = timezone.localdate(registered, self.tz)
                installed = None
                if rng.random() < 0.95:
                    installed = min(purchase + dt.timedelta(days=rng.randint(0, 5)), self.today)
                selling = owner.outlet_code if rng.random() < 0.85 else rng.choice(list(self.outlets))
                self.serial_seq += 1
                rows.append(
                    DemoUnitRow(
                        actor=self.clerks[selling],
                        owner=owner.customer,
                        registered_at=registered,
                        data=UnitInput(
                            serial=f"HXD{category.serial_letter}{purchase:%y%m}{self.serial_seq:06d}",
                            model_code=model.code,
                            purchase_date=purchase,
                            selling_outlet_id=self.outlets[selling].pk,
                            installed_on=installed,
                            install_address_id=address_id,
                        ),
                    )
                )
                owners_of_rows.append(owner)
        for owner, unit, row in zip(owners_of_rows, demo_units_register(rows=rows), rows, strict=True):
            owner.units.append(unit)
            owner.unit_times.append(row.registered_at)
        self.holders = [o for o in holders if o.units]
        self.progress(f"units: {sum(counts)}")

    def notes(self) -> None:
        """Pre-sales call notes on prospects, written by the outlet's sales rep."""
        rng = self.rng
        written = 0
        for owner in self.owners:
            if owner.customer is None or (owner.owns_units and rng.random() > 0.05) or rng.random() > 0.6:
                continue
            self.clock.now = owner.since + dt.timedelta(hours=rng.randint(1, 72))
            if self.clock.now > self.real_now:
                continue
            customer_note_add(
                actor=self.sales_reps[owner.outlet_code],
                customer=owner.customer,
                summary=rng.choice(catalogue.SALES_NOTES),
                channel="visit",
                phase=TimelineEntry.Phase.IN_SALES if owner.owns_units else TimelineEntry.Phase.PRE_SALES,
            )
            written += 1
        self.progress(f"call notes: {written}")

    # -- requests ----------------------------------------------------------------------------------
    def requests(self) -> None:
        """Requests replayed through request_open and the state machine, each at its own past times."""
        plans = plan_requests(self.rng, max(self.scale.requests - 1, 0))  # the last one is the drill
        for plan in plans:
            self._replay(plan)
        self.progress(f"requests: {len(plans)}")

    def time_limit_drill(self) -> None:
        """An urgent inquiry opened at load time under a 12-minute drill limit: it warns and escalates as you watch."""
        TimeLimitPolicy.objects.filter(
            call_type=CallType.INQUIRY, priority=Priority.URGENT, step="first_response", is_active=True
        ).delete()
        TimeLimitPolicy.objects.create(
            call_type=CallType.INQUIRY,
            priority=Priority.URGENT,
            step="first_response",
            amount=DRILL_HOURS,
            unit=LimitUnit.CLOCK_HOURS,
            warn_percent=50,
            escalate_percent=50,
            chain=list(DEFAULT_CHAIN),
        )
        if not self.scale.requests or not self.owners or self.owners[0].customer is None:
            return
        request_open(
            actor=self.agent,
            data=RequestInput(
                call_type=CallType.INQUIRY,
                customer_id=self.owners[0].customer.pk,
                priority=Priority.URGENT,
                symptom=_(
                    "Drill: the customer asks when the engineer arrives. Leave it unanswered and watch it escalate."
                ),
            ),
        )

    def field_service(self) -> None:
        """Field hours and start places for every engineer; the first outlet's day booked, optimised, committed."""
        engineers = [profile for team in self.engineers.values() for profile, _skills in team]
        field_engineers_set_up(engineers=engineers, outlets={o.pk: o for o in self.outlets.values()}, rng=self.rng)
        # Before the field day: outlet 1's own repair visits are planned first, so today's plan works around them.
        self.parts_and_repairs()
        if not self.scale.requests:
            return
        code = next(iter(self.outlets))
        holders = [
            (owner.customer, owner.units[0])
            for owner in self.holders
            if owner.outlet_code == code and owner.customer is not None and owner.units
        ]
        field_day_load(
            outlet=self.outlets[code],
            clerk=self.clerks[code],
            holders=holders,
            rng=self.rng,
            zone=self.tz,
            progress=self.progress,
        )

    def parts_and_repairs(self) -> None:
        """Parts, fee schedule, policies, stock and loaners; with requests, outlet 1's repairs that use them (issue 5).

        A random stream of its own, so that the rest of the demo is the same with or without it.
        """
        code = next(iter(self.outlets))
        crew = [
            parts.Crew(profile=profile, skills=skills, actor=self.actors[profile.user.username])
            for profile, skills in self.engineers[code]
        ]
        cast = parts.PartsCast(
            outlets=self.outlets,
            service_manager=self.manager,
            hq_clerk=self.agent,
            managers=self.managers,
            clerks=self.clerks,
            crew=crew,
            models=self.models,
            clock=self.clock,
            real_now=self.real_now,
            rng=random.Random(self.scale.seed * 31 + 5),
            progress=self.progress,
        )
        parts.parts_catalogue_load()
        parts.fee_schedule_load(self.models.values())
        parts.policies_load(self.manager)
        parts.loaners_load(cast)
        story = None
        if self.scale.requests:
            customers = [o.customer for o in self.owners if o.outlet_code == code and o.customer and o.owns_units]
            story = repairs.RepairStory(cast, repairs.outlet_customers(customers), self.tz)
            story.assign_crew()  # before the stock: each van carries what its engineer's visits use
        parts.stock_load(cast)
        if story is not None:
            story.load()
        self.clock.now = self.real_now

    def _subject(self, plan: _RequestPlan) -> tuple[_Owner, Unit | None, dt.datetime]:
        """Who calls, about which unit, and since when that is possible."""
        rng = self.rng
        first_outlet = next(iter(self.outlets))
        if plan.featured:
            pool = [
                o
                for o in self.owners
                if o.outlet_code == first_outlet
                and any(self.category_of_model[u.product_model.code].code == "air-conditioner" for u in o.units)
            ]
            owner = rng.choice(pool)
            choices = [
                (u, t)
                for u, t in zip(owner.units, owner.unit_times, strict=True)
                if self.category_of_model[u.product_model.code].code == "air-conditioner"
            ]
            unit, registered = rng.choice(choices)
            return owner, unit, registered
        if plan.call_type in FIELD_CALL_TYPES:
            owner = rng.choice(self.holders or self.owners)
            if owner.units:
                k = rng.randrange(len(owner.units))
                return owner, owner.units[k], owner.unit_times[k]
            return owner, None, owner.since
        owner = rng.choice(self.owners)
        if owner.units and rng.random() < 0.4:
            k = rng.randrange(len(owner.units))
            return owner, owner.units[k], owner.unit_times[k]
        return owner, None, owner.since

    def _schedule(
        self, plan: _RequestPlan, steps: list[str], earliest: dt.datetime
    ) -> tuple[dt.datetime, list[dt.datetime], tuple[dt.datetime, dt.datetime] | None] | None:
        """When the request opens, when each step happens, and the booked window; None if it does not fit."""
        rng = self.rng
        now = self.real_now
        if plan.target in _FINISHED:
            latest = now - dt.timedelta(days=2)
            lowest = max(earliest + dt.timedelta(days=1), now - dt.timedelta(days=180))
            if lowest >= latest:
                return None
            opened = self.office_time(timezone.localdate(lowest + (latest - lowest) * rng.random(), self.tz))
        else:
            hours = rng.uniform(0.5, 20) if rng.random() < 0.75 else rng.uniform(20, 200)
            opened = self.hotline_time(now - dt.timedelta(hours=hours))
        opened = opened.replace(second=rng.randint(0, 59), microsecond=0)
        window = None
        if plan.call_type == CallType.ORDER_REPORT and not plan.to_verify:
            day = timezone.localdate(opened, self.tz) + dt.timedelta(days=rng.randint(1, 3))
            start = self.local(day, rng.choice([9 * 60, 13 * 60, 18 * 60]))
            window = (start, start + dt.timedelta(hours=3))
        times: list[dt.datetime] = []
        at = opened
        minutes = {
            "verify": (10, 90),
            "accept": (3, 90),
            "assign": (5, 60),
            "wait_customer": (30, 120),
            "wait_parts": (30, 120),
            "resume": (1440, 5 * 1440),
            "close": (1440, 3 * 1440),
            "reopen": (2 * 1440, 10 * 1440),
            "cancel": (10, 1440),
        }
        for step in steps:
            if step == "start" and window is not None and at < window[0]:
                at = window[0] + dt.timedelta(minutes=rng.randint(0, 40))
            elif step == "start":
                low, high = (120, 2 * 1440) if plan.call_type == CallType.REPAIR else (30, 240)
                at += dt.timedelta(minutes=rng.randint(low, high))
            elif step == "resolve":
                low, high = (
                    (1440, 3 * 1440)
                    if plan.call_type == CallType.COMPLAINT
                    else ((30, 180) if plan.call_type in FIELD_CALL_TYPES else (5, 240))
                )
                at += dt.timedelta(minutes=rng.randint(low, high))
            else:
                low, high = minutes[step]
                at += dt.timedelta(minutes=rng.randint(low, high))
            if step in ("start", "resume", "resolve"):
                at = self.working_time(at)
            times.append(at)
        overshoot = (times[-1] if times else opened) - (now - dt.timedelta(minutes=1))
        if overshoot > dt.timedelta(0):
            shift = overshoot + dt.timedelta(minutes=rng.randint(1, 120))
            opened -= shift
            times = [t - shift for t in times]
            window = (window[0] - shift, window[1] - shift) if window else None
        if opened < earliest + dt.timedelta(hours=2):
            return None
        return opened, times, window

    def _replay(self, plan: _RequestPlan) -> None:
        rng = self.rng
        steps = request_steps(plan, rng)
        for _attempt in range(50):
            owner, unit, earliest = self._subject(plan)
            fitted = self._schedule(plan, steps, earliest)
            if fitted is not None:
                break
        else:
            raise RuntimeError(f"no customer fits the request plan {plan}")
        opened, times, window = fitted
        assert owner.customer is not None
        outlet_code = owner.outlet_code
        channel = Channel.DEALER if plan.featured else _weighted(rng, _CHANNELS)
        opener = self.clerks[outlet_code] if channel in (Channel.DEALER, Channel.VISIT) else self.agent
        category = self.category_of_model[unit.product_model.code] if unit else rng.choice(catalogue.CATEGORIES)
        symptom, resolution, model_code, facts_purchase = self._facts(plan, category, opened)
        purchase: dt.date | None = facts_purchase
        if plan.call_type not in FIELD_CALL_TYPES:
            model_code, purchase = "", None  # questions and complaints name a model only through a unit
        unit_serial = unit.serial if unit is not None else None
        missing_symptom = False
        if plan.to_verify or plan.verify_first:
            variant = rng.choice(["purchase_date", "symptom"] if plan.call_type == CallType.REPAIR else ["symptom"])
            if plan.call_type == CallType.ORDER_REPORT:
                variant = "window"  # a booking without a time
            if variant == "purchase_date":
                unit_serial, model_code = None, unit.product_model.code if unit else model_code
                purchase = None
            elif variant == "symptom":
                missing_symptom = True
        priority = (
            Priority.HIGH
            if plan.call_type == CallType.COMPLAINT and rng.random() < 0.4
            else (_weighted(rng, {Priority.NORMAL: 80, Priority.HIGH: 12, Priority.LOW: 4, Priority.URGENT: 4}))
        )
        self.clock.now = opened
        sr = request_open(
            actor=opener,
            data=RequestInput(
                call_type=plan.call_type,
                customer_id=owner.customer.pk,
                channel=channel,
                priority=priority,
                unit_serial=unit_serial,
                reported_model=model_code if unit_serial is None else "",
                reported_purchase_date=purchase if unit_serial is None else None,
                symptom="" if missing_symptom else symptom,
                contact_phone=self._unique(people.mobile_number) if rng.random() < 0.08 else None,
                window_start=window[0] if window else None,
                window_end=window[1] if window else None,
            ),
        )
        engineer = self._engineer(outlet_code, unit, plan.featured)
        for step, at in zip(steps, times, strict=True):
            self.clock.now = at
            if step == "verify":
                details = (
                    RequestDetails(symptom=symptom)
                    if missing_symptom
                    else RequestDetails(reported_purchase_date=unit.purchase_date if unit else facts_purchase)
                )
                request_verify(actor=self.agent, request=sr, details=details)
            elif step == "assign":
                request_assign(actor=self.clerks[outlet_code], request=sr, engineer_id=engineer[0].pk)
            else:
                request_transition(
                    actor=self._actor_for(step, plan, outlet_code, engineer[0]),
                    request=sr,
                    action=step,
                    note=self._note(step, resolution),
                )

    def _facts(
        self, plan: _RequestPlan, category: catalogue.CategoryPlan, opened: dt.datetime
    ) -> tuple[str, str, str, dt.date]:
        """What the caller says, how it ends, and the model and purchase date as the caller states them."""
        rng = self.rng
        model_code = rng.choice(category.models).code
        purchase = timezone.localdate(opened, self.tz) - dt.timedelta(days=rng.randint(30, 1500))
        if plan.call_type == CallType.REPAIR:
            symptom, resolution = rng.choice(category.faults)
        elif plan.call_type == CallType.ORDER_REPORT:
            symptom = rng.choice(catalogue.BOOKINGS).format(category=category.name)
            resolution = rng.choice(catalogue.BOOKING_RESULTS)
        elif plan.call_type == CallType.COMPLAINT:
            symptom, resolution = rng.choice(catalogue.COMPLAINTS), rng.choice(catalogue.COMPLAINT_OUTCOMES)
        else:
            pool = {
                CallType.CONSULTATION: catalogue.CONSULTATIONS,
                CallType.INQUIRY: catalogue.INQUIRIES,
                CallType.GENERAL: catalogue.GENERAL_CALLS,
            }[CallType(plan.call_type)]
            symptom, resolution = rng.choice(pool), rng.choice(catalogue.ANSWERS)
        return symptom, resolution, model_code, purchase

    def _engineer(self, outlet_code: str, unit: Unit | None, featured: bool) -> tuple[StaffProfile, frozenset[str]]:
        """An engineer of the outlet whose valid certificates cover the repair; the featured login when asked."""
        crew = self.engineers[outlet_code]
        if featured or (outlet_code == next(iter(self.outlets)) and self.rng.random() < 0.4):
            return crew[0]
        needed = self.repair_skills.get(unit.product_model.code, frozenset()) if unit else frozenset()
        qualified = [e for e in crew if needed <= e[1]]
        return self.rng.choice(qualified or crew)

    def _actor_for(self, step: str, plan: _RequestPlan, outlet_code: str, engineer: StaffProfile) -> Actor:
        """Who takes a step: engineers work their jobs, the outlet desk accepts, follow-up closes."""
        rng = self.rng
        field_job = plan.call_type in FIELD_CALL_TYPES
        if step in ("start", "wait_customer", "wait_parts", "resume", "resolve") and field_job:
            return self.actors[engineer.user.username]
        if step == "accept":
            return rng.choice(
                [self.clerks[outlet_code], self.clerks[outlet_code], self.managers[outlet_code], self.agent]
            )
        if step in ("close", "reopen") or plan.call_type == CallType.COMPLAINT:
            return self.followup
        if step == "cancel":
            return rng.choice([self.agent, self.clerks[outlet_code]])
        return self.agent

    def _note(self, step: str, resolution: str) -> str:
        pools = {
            "wait_customer": catalogue.WAIT_CUSTOMER_NOTES,
            "wait_parts": catalogue.WAIT_PARTS_NOTES,
            "cancel": catalogue.CANCEL_NOTES,
            "reopen": catalogue.REOPEN_NOTES,
        }
        if step == "resolve":
            return resolution
        return self.rng.choice(pools[step]) if step in pools else ""
