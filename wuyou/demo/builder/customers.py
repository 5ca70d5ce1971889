"""The demo's customers, their units and call notes."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from wuyou.customers.models import Address, Customer, TimelineEntry
from wuyou.customers.services import (
    AddressInput,
    ContactWindowInput,
    CustomerInput,
    customer_create,
    customer_note_add,
)
from wuyou.demo import catalogue, people, qingdao
from wuyou.demo.builder.base import DemoBuilderBase, DemoOwner
from wuyou.demo.histories import _WINDOWS
from wuyou.demo.world import (
    DemoUnitRow,
    demo_units_register,
)
from wuyou.products.services import UnitInput


class CustomerSteps(DemoBuilderBase):
    """The demo's customers, their units and call notes."""

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
            owner = DemoOwner(
                index=i,
                district=district,
                outlet_code=outlet_of_district[district.name],
                data=data,
                since=since,
                owns_units=owns_units,
            )
            self.clock.now = since
            actor = self.clerks[owner.outlet_code] if rng.random() < 0.3 else self.agent
            owner.customer = customer_create(actor=actor, profile=data)
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
        owners_of_rows: list[DemoOwner] = []
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
