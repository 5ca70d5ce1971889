"""The demo world's fixed facts: its password, scale, the simulated clock of its history, units written in bulk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from unittest import mock

from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.customers.models import Customer, TimelineEntry
from wuyou.products.models import ProductModel, Unit, UnitEvent
from wuyou.products.services import UnitInput, normalise_serial
from wuyou.tickets.models import (
    CallType,
)

DEMO_PASSWORD = "wuyou-demo-2026"  # demo only: every demo account shares it


INTEGRATION_USERNAME = "integration"

# The authenticator the demo gives its head-office and admin logins; `wuyou demo totp <username>` reads its code.
DEMO_AUTHENTICATOR_NAME = "demo authenticator (wuyou demo totp)"


FIELD_CALL_TYPES = (CallType.REPAIR, CallType.ORDER_REPORT)


# The demo drill: an urgent inquiry must be answered within 12 minutes (warns at 6, escalates at 12, 18, 24).
DRILL_HOURS = Decimal("0.2")


@dataclass(frozen=True)
class DemoScale:
    """How much demo data to load; the defaults are the full demo, tests pass smaller numbers."""

    customers: int = 2000
    units: int = 3000
    requests: int = 500
    engineers: int = 40
    seed: int = 2026


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
