"""Anonymisation on request (PIPL art. 47): one person files, another approves, then the service erases."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from wuyou.customers.anonymisation import may_approve, may_request
from wuyou.customers.erasure import PLACEHOLDER, ErasureSubject, erasers_run, open_jobs_of, rows_redact
from wuyou.customers.models import (
    AnonymisationOutcome,
    AnonymisationRequest,
    Customer,
    PersonalDataReveal,
    TimelineEntry,
)
from wuyou.customers.selectors import customers_visible
from wuyou.customers.services.archive import timeline_record

audit_log = logging.getLogger("wuyou.audit")


def _customer_locked(actor: Actor, customer_id: int) -> Customer:
    """The visible customer's row, locked until the transaction ends; NotFound outside the actor's scope."""
    if not customers_visible(actor=actor).filter(pk=customer_id).exists():
        raise NotFound("customer not found", field="customer_id")
    return Customer.objects.select_for_update().get(pk=customer_id)


def _display_name(user: Any) -> str:
    staff = getattr(user, "staff", None)  # a missing profile raises an AttributeError subclass
    return staff.display_name if staff is not None else str(user.get_username())


def _refuse_if_anonymised(customer: Customer) -> None:
    if customer.anonymised_at is not None:
        day = timezone.localdate(customer.anonymised_at)
        raise Conflict(
            _("This customer was anonymised on %(day)s already; there is nothing left to erase.") % {"day": day},
            field="customer_id",
        )


def anonymisation_request_file(*, actor: Actor, customer_id: int, reason: str) -> AnonymisationRequest:
    """File a customer's request to be anonymised; it waits for another person's approval."""
    with transaction.atomic():
        customer = _customer_locked(actor, customer_id)
        if actor.user_id is None or not may_request(actor, customer):
            raise PermissionDenied(_("Only the head-office desk or the customer's outlet manager may file this."))
        reason = reason.strip()
        if not reason:
            raise ValidationFailed(_("Say why the customer is to be anonymised."), field="reason")
        if len(reason) > 500:
            raise ValidationFailed(_("Keep the reason under 500 characters."), field="reason")
        _refuse_if_anonymised(customer)
        if AnonymisationRequest.objects.filter(customer=customer, outcome=AnonymisationOutcome.PENDING).exists():
            raise Conflict(_("A request to anonymise this customer is waiting for approval already."), field="reason")
        try:
            with transaction.atomic():
                filed = AnonymisationRequest.objects.create(
                    customer=customer, reason=reason, requested_by_id=actor.user_id
                )
        except IntegrityError:
            raise Conflict(
                _("A request to anonymise this customer is waiting for approval already."), field="reason"
            ) from None
        timeline_record(
            customer_id=customer.pk,
            actor=actor,
            kind=TimelineEntry.Kind.CUSTOMER,
            summary=_("Anonymisation requested; waiting for a second person's approval"),
            body=reason,
            ref_kind="anonymisation",
            ref_id=filed.pk,
        )
    return filed


def anonymisation_request_decide(
    *, actor: Actor, anonymisation_id: int, approve: bool, note: str = ""
) -> AnonymisationRequest:
    """Approve (the customer is anonymised at once, in this transaction) or reject another person's request."""
    note = note.strip()
    with transaction.atomic():
        visible = customers_visible(actor=actor).values("pk")
        filed = (
            AnonymisationRequest.objects.select_for_update()
            .filter(pk=anonymisation_id, customer_id__in=visible)
            .first()
        )
        if filed is None:
            raise NotFound("anonymisation request not found", field="anonymisation_id")
        if not may_approve(actor):
            raise PermissionDenied(_("Only the head-office service manager may decide on anonymisation requests."))
        if not filed.is_pending:
            raise Conflict(
                _("This request was decided already: %(outcome)s.") % {"outcome": filed.get_outcome_display()},
                field="anonymisation_id",
            )
        if filed.requested_by_id == actor.user_id:
            raise PermissionDenied(_("You filed this request yourself: another person must approve or reject it."))
        if not approve and not note:
            raise ValidationFailed(_("Say why the request is rejected."), field="note")
        if len(note) > 300:
            raise ValidationFailed(_("Keep the note under 300 characters."), field="note")
        filed.outcome = AnonymisationOutcome.APPROVED if approve else AnonymisationOutcome.REJECTED
        filed.decided_by_id, filed.decided_at, filed.decision_note = actor.user_id, timezone.now(), note
        filed.save(update_fields=["outcome", "decided_by", "decided_at", "decision_note"])
        if approve:
            customer_anonymise(actor=actor, customer_id=filed.customer_id, reason=filed.reason, approval=filed)
            filed.refresh_from_db()
        else:
            timeline_record(
                customer_id=filed.customer_id,
                actor=actor,
                kind=TimelineEntry.Kind.CUSTOMER,
                summary=_("Anonymisation request rejected"),
                body=note,
                ref_kind="anonymisation",
                ref_id=filed.pk,
            )
    return filed


def customer_anonymise(
    *, actor: Actor, customer_id: int, reason: str, approval: AnonymisationRequest | None = None
) -> Customer:
    """Erase a customer's personal data, keep his records (requests, visits, fees, units) so the figures still add up.

    Names, phones, streets, coordinates, contact windows and notes go; every app above erases its own traces through
    customers.erasure; one timeline line records who, when and why. Refused (Conflict) while a job of his is open or
    when he was anonymised already. The desk reaches this only through an approved request (four eyes).
    """
    if not may_approve(actor):
        raise PermissionDenied(_("Only the head-office service manager may anonymise a customer."))
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(_("Say why the customer is to be anonymised."), field="reason")
    with transaction.atomic():
        customer = _customer_locked(actor, customer_id)
        _refuse_if_anonymised(customer)
        open_jobs = open_jobs_of(customer.pk)
        if open_jobs:
            raise Conflict(
                _("The customer still has open jobs (%(jobs)s): close or cancel them first.")
                % {"jobs": ", ".join(open_jobs[:5]) + ("…" if len(open_jobs) > 5 else "")},
                field="customer_id",
            )
        subject = ErasureSubject(
            customer_id=customer.pk,
            names=(customer.name, customer.contact_person),
            phones=tuple(customer.phones.values_list("number", flat=True)),
            streets=tuple(customer.addresses.values_list("detail", flat=True)),
            placeholder=str(PLACEHOLDER),
        )
        changed = erasers_run(subject)
        changed["customers"] = (
            rows_redact(TimelineEntry.objects.filter(customer=customer), subject, ["summary", "body"])
            + rows_redact(PersonalDataReveal.objects.filter(customer=customer), subject, ["reason"])
            + rows_redact(customer.anonymisation_requests.all(), subject, ["reason", "decision_note"])
            + customer.phones.all().delete()[0]
            + customer.contact_windows.all().delete()[0]
            + customer.addresses.update(detail="", label="", latitude=None, longitude=None)
        )
        customer.name, customer.contact_person, customer.note = str(_("Anonymised customer")), "", ""
        customer.consent_service_calls = customer.consent_marketing = customer.dont_call_at_work = False
        customer.anonymised_at = timezone.now()
        customer.save()
        summary = _("Customer anonymised on request")
        if approval is not None:
            summary = _("Customer anonymised on request (filed by %(requester)s)") % {
                "requester": _display_name(approval.requested_by)
            }
        timeline_record(
            customer_id=customer.pk,
            actor=actor,
            kind=TimelineEntry.Kind.CUSTOMER,
            summary=summary,
            body=subject.redact(reason),
            ref_kind="anonymisation",
            ref_id=approval.pk if approval else None,
        )
        approval_id = approval.pk if approval else None
        transaction.on_commit(
            lambda: audit_log.info(
                "customer anonymised customer=%s by=%s approval=%s rows=%s",
                customer.pk,
                actor.user_id,
                approval_id,
                changed,
            )
        )
    return customer
