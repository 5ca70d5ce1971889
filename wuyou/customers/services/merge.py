"""Duplicate records: the check before filing a customer twice, and merging two records into one (head office)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor, Scope
from wuyou.accounts.models import Role
from wuyou.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from wuyou.core.phones import InvalidPhone, parse_phone
from wuyou.customers.erasure import open_jobs_of
from wuyou.customers.models import AnonymisationOutcome, Customer, CustomerPhone, TimelineEntry
from wuyou.customers.selectors import customers_visible
from wuyou.customers.services.archive import timeline_record


class DuplicateCustomer(Conflict):
    """A customer the actor may see already has this phone; file anyway only on purpose."""

    code = "duplicate_customer"


def duplicates_of(*, actor: Actor, phones: list[str]) -> list[Customer]:
    """Customers the actor may see who already have one of these numbers (unparsable ones are skipped).

    Only visible customers count: another outlet's customer with the same number is never told of.
    """
    numbers = set()
    for raw in phones:
        try:
            numbers.add(parse_phone(raw).number)
        except InvalidPhone:
            continue
    if not numbers:
        return []
    return list(
        customers_visible(actor=actor)
        .filter(anonymised_at__isnull=True, pk__in=CustomerPhone.objects.filter(number__in=numbers).values("customer"))
        .select_related("outlet")
        .prefetch_related("phones")
        .order_by("pk")[:5]
    )


def duplicates_refuse(*, actor: Actor, phones: list[str]) -> None:
    """Raise DuplicateCustomer naming the first visible customer with one of these numbers (API: 409)."""
    found = duplicates_of(actor=actor, phones=phones)
    if found:
        first = found[0]
        raise DuplicateCustomer(
            _("Customer #%(id)s already has this phone number; open him, or send file_anyway to file a new one.")
            % {"id": first.pk},
            errors={
                "phones": _("Already the number of customer #%(id)s.") % {"id": first.pk},
                "duplicate_of": str(first.pk),
            },
        )


def may_merge(actor: Actor) -> bool:
    """Merging rewrites two records across every outlet: the head office's service manager only."""
    return actor.role == Role.SERVICE_MANAGER and actor.scope is Scope.ALL


@dataclass(frozen=True)
class MovedRows:
    """What a merge moves (or moved) from the loser to the survivor: one line per kind of row."""

    label: str
    count: int


def _relations() -> list[models.ForeignObjectRel]:
    """Every foreign key to Customer in any app (customers does not import the apps above it)."""
    return [r for r in Customer._meta.related_objects if (r.one_to_many or r.one_to_one) and r.field.concrete]


def _rows(rel: models.ForeignObjectRel, customer: Customer) -> QuerySet[models.Model]:
    manager = rel.related_model._base_manager  # type: ignore[union-attr]
    return manager.filter(**{rel.field.name: customer})  # type: ignore[no-any-return]


def merge_preview(*, survivor: Customer, loser: Customer) -> list[MovedRows]:
    """What merging `loser` into `survivor` would move (phones counted without those the survivor has)."""
    shown: list[MovedRows] = []
    survivor_numbers = set(survivor.phones.values_list("number", flat=True))
    for rel in _relations():
        rows = _rows(rel, loser)
        if rel.related_model is CustomerPhone:
            rows = rows.exclude(number__in=survivor_numbers)
        count = rows.count()
        if count:
            label = (
                _("records merged into it before")
                if rel.related_model is Customer
                else str(rel.related_model._meta.verbose_name_plural)  # type: ignore[union-attr]
            )
            shown.append(MovedRows(label, count))
    return shown


def _check(survivor: Customer, loser: Customer) -> None:
    for customer in (survivor, loser):
        if customer.anonymised_at is not None:
            raise Conflict(_("%(name)s was anonymised; anonymised records are not merged.") % {"name": customer.name})
        if customer.merged_into_id is not None:
            raise Conflict(_("%(name)s was already merged into another record.") % {"name": customer.name})
        jobs = open_jobs_of(customer.pk)
        if jobs:
            raise Conflict(
                _("%(name)s still has open jobs (%(jobs)s): merge once they are closed or cancelled.")
                % {"name": customer.name, "jobs": ", ".join(jobs)}
            )
        if customer.anonymisation_requests.filter(outcome=AnonymisationOutcome.PENDING).exists():
            raise Conflict(_("%(name)s has an anonymisation request waiting for a decision.") % {"name": customer.name})


def customer_merge(*, actor: Actor, survivor_id: int, loser_id: int) -> tuple[Customer, list[MovedRows]]:
    """Move everything of `loser` to `survivor` (phones deduplicated) and mark the loser merged; one transaction.

    Both rows are locked in pk order (two merges of the same pair cannot deadlock); open jobs refuse the merge.
    """
    ids = {survivor_id, loser_id}
    if customers_visible(actor=actor).filter(pk__in=ids).count() != len(ids):
        raise NotFound("customer not found", field="other_id")
    if not may_merge(actor):
        raise PermissionDenied(_("Only a head-office service manager may merge customer records."))
    if survivor_id == loser_id:
        raise ValidationFailed(_("Pick another customer: a record cannot be merged into itself."), field="other_id")
    with transaction.atomic():
        locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
        survivor, loser = locked[survivor_id], locked[loser_id]
        _check(survivor, loser)
        moved = merge_preview(survivor=survivor, loser=loser)
        survivor_numbers = set(survivor.phones.values_list("number", flat=True))
        CustomerPhone.objects.filter(customer=loser, number__in=survivor_numbers).delete()
        for rel in _relations():
            rows = _rows(rel, loser)
            if _has_primary(rel):
                rows.update(**{rel.field.name: survivor, "is_primary": False})
            elif rel.one_to_one and _rows(rel, survivor).exists():
                raise Conflict(
                    _("Both records have a %(what)s: it cannot be merged.")
                    % {"what": rel.related_model._meta.verbose_name}  # type: ignore[union-attr]
                )
            else:
                rows.update(**{rel.field.name: survivor})
        Customer.objects.filter(pk=survivor.pk).update(version=models.F("version") + 1)
        Customer.objects.filter(pk=loser.pk).update(version=models.F("version") + 1, merged_into=survivor)
        what = ", ".join(f"{m.label} {m.count}" for m in moved) or _("nothing")
        timeline_record(
            customer_id=survivor.pk,
            actor=actor,
            kind=TimelineEntry.Kind.CUSTOMER,
            summary=_("Customer #%(id)s %(name)s merged into this record") % {"id": loser.pk, "name": loser.name},
            body=_("Moved here: %(what)s") % {"what": what},
        )
        timeline_record(
            customer_id=loser.pk,
            actor=actor,
            kind=TimelineEntry.Kind.CUSTOMER,
            summary=_("Merged into customer #%(id)s %(name)s") % {"id": survivor.pk, "name": survivor.name},
            body=_("Moved there: %(what)s") % {"what": what},
        )
    survivor.refresh_from_db()
    return survivor, moved


def _has_primary(rel: models.ForeignObjectRel) -> bool:
    """A customer's own list with a primary row (phones, addresses): the survivor's primary stays the primary."""
    return any(f.name == "is_primary" for f in rel.related_model._meta.concrete_fields)  # type: ignore[union-attr]
