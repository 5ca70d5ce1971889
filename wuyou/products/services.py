"""Writes for products: registering serial-numbered units (R-B2) and loading warranty policies (R-B3, R-B4)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any

import yaml
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Outlet, Role
from wuyou.core.errors import Conflict, PermissionDenied, ValidationFailed
from wuyou.customers.models import Customer, TimelineEntry
from wuyou.customers.services import timeline_record
from wuyou.products.models import ProductCategory, ProductModel, Unit, UnitEvent, WarrantyPolicy
from wuyou.products.policy import Policy, PolicyError, policy_from_dict, policy_to_dict

audit_log = logging.getLogger("wuyou.audit")

SERIAL_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9\-]{5,39}$")
EARLIEST_PURCHASE = dt.date(1990, 1, 1)


@dataclass(frozen=True)
class UnitInput:
    """A unit as read off its nameplate and the customer's invoice."""

    serial: str
    model_code: str
    purchase_date: dt.date | None = None
    selling_outlet_id: int | None = None
    installed_on: dt.date | None = None
    install_address_id: int | None = None


def normalise_serial(serial: str) -> str:
    """Serials are compared upper-case without surrounding blanks."""
    return serial.strip().upper()


def _check_dates(registration: UnitInput) -> None:
    today = timezone.localdate()
    if registration.purchase_date is not None and not EARLIEST_PURCHASE <= registration.purchase_date <= today:
        raise ValidationFailed(_("The purchase date must be between 1990-01-01 and today."), field="purchase_date")
    if registration.installed_on is not None:
        if registration.installed_on > today + dt.timedelta(days=365):
            raise ValidationFailed(_("The installation date is too far ahead."), field="installed_on")
        if registration.purchase_date is not None and registration.installed_on < registration.purchase_date:
            raise ValidationFailed(_("The unit cannot be installed before it was bought."), field="installed_on")


def unit_register(*, actor: Actor, owner: Customer, registration: UnitInput) -> Unit:
    """Register a unit to a (visible) owner; a serial already registered is a conflict."""
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not register units."))
    serial = normalise_serial(registration.serial)
    if not SERIAL_PATTERN.match(serial):
        raise ValidationFailed(_("A serial number is 6–40 letters, digits or dashes."), field="serial")
    product_model = ProductModel.objects.filter(code=registration.model_code.strip()).first()
    if product_model is None:
        raise ValidationFailed(
            _("Unknown product model %(code)s.") % {"code": registration.model_code[:50]}, field="model_code"
        )
    _check_dates(registration)
    selling_outlet = None
    if registration.selling_outlet_id is not None:
        selling_outlet = Outlet.objects.filter(pk=registration.selling_outlet_id).first()
        if selling_outlet is None:
            raise ValidationFailed(_("Unknown selling outlet."), field="selling_outlet_id")
    install_address = None
    if registration.install_address_id is not None:
        install_address = owner.addresses.filter(pk=registration.install_address_id).first()
        if install_address is None:
            raise ValidationFailed(_("The address is not one of the owner's."), field="install_address_id")
    if Unit.objects.filter(serial=serial).exists():
        raise Conflict(_("Serial number %(serial)s is already registered.") % {"serial": serial}, field="serial")
    try:
        with transaction.atomic():
            unit = Unit.objects.create(
                serial=serial,
                product_model=product_model,
                owner=owner,
                purchase_date=registration.purchase_date,
                selling_outlet=selling_outlet,
                installed_on=registration.installed_on,
                install_address=install_address,
            )
            UnitEvent.objects.create(
                unit=unit,
                verb=UnitEvent.Verb.REGISTERED,
                actor_id=actor.user_id,
                data={"owner_id": owner.pk, "purchase_date": str(registration.purchase_date or "")},
            )
            timeline_record(
                customer_id=owner.pk,
                actor=actor,
                kind=TimelineEntry.Kind.UNIT,
                phase=TimelineEntry.Phase.IN_SALES,
                ref_kind="unit",
                ref_id=unit.pk,
                ref_label=serial,
                summary=_("Registered %(model)s, serial %(serial)s") % {"model": product_model.code, "serial": serial},
            )
    except IntegrityError:
        # Two clerks registering the same serial at once: the database's unique index decides.
        raise Conflict(
            _("Serial number %(serial)s is already registered.") % {"serial": serial}, field="serial"
        ) from None
    return unit


# -- warranty policies (R-B3, R-B4) -----------------------------------------------------------------

POLICY_EDITOR_ROLES = frozenset({Role.ADMIN, Role.SERVICE_MANAGER})
POLICY_FILE_MAX_CHARS = 1_000_000


def unit_serviced_record(*, actor: Actor, unit: Unit, request_number: str, call_type: str) -> UnitEvent:
    """A service request opened for the unit: a line in the unit's own history (its owner's outlet reads it)."""
    return UnitEvent.objects.create(
        unit=unit,
        verb=UnitEvent.Verb.SERVICED,
        actor_id=actor.user_id,
        data={"request": request_number, "call_type": call_type},
    )


def _yaml_documents(text: str) -> list[Any]:
    """The policy mappings of a YAML file: one policy, a list, `policies: [...]`, or several documents."""
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = (
            _("line %(line)d, column %(column)d") % {"line": mark.line + 1, "column": mark.column + 1}
            if mark is not None
            else _("an unknown place")
        )
        problem = getattr(error, "problem", None) or str(error)
        raise ValidationFailed(
            _("The YAML file is malformed at %(where)s: %(problem)s") % {"where": where, "problem": problem},
            field="file",
        ) from None
    found: list[Any] = []
    for document in documents:
        if isinstance(document, dict) and set(document) == {"policies"}:
            found.extend(document["policies"] if isinstance(document["policies"], list) else [document["policies"]])
        elif isinstance(document, list):
            found.extend(document)
        else:
            found.append(document)
    if not found:
        raise ValidationFailed(_("The file holds no policy."), field="policies")
    return found


def _check_applies_to(policy: Policy, path: str, errors: dict[str, str]) -> None:
    kind, code = policy.applies_to.kind, policy.applies_to.code
    if kind == "product_model" and not ProductModel.objects.filter(code=code).exists():
        errors[f"{path}applies_to.code"] = _("Unknown product model %(code)s.") % {"code": code}
    if kind == "category" and not ProductCategory.objects.filter(code=code).exists():
        errors[f"{path}applies_to.code"] = _("Unknown product category %(code)s.") % {"code": code}


def policy_check(*, actor: Actor, text: str) -> list[Policy]:
    """Validate a YAML file of one or several policies as `policy_load` would, writing nothing."""
    if actor.role not in POLICY_EDITOR_ROLES:
        raise PermissionDenied(_("Only an administrator or a service manager may load policies."))
    if len(text) > POLICY_FILE_MAX_CHARS:
        raise ValidationFailed(_("The policy file is larger than 1 MB."), field="file")
    documents = _yaml_documents(text)
    several = len(documents) > 1
    errors: dict[str, str] = {}
    policies: list[Policy] = []
    targets: dict[tuple[str, str], str] = {}
    for i, document in enumerate(documents):
        prefix = f"policies[{i}]." if several else ""
        try:
            policy = policy_from_dict(document)
        except PolicyError as error:
            errors.update({f"{prefix}{path}": message for path, message in error.errors.items()})
            continue
        if any(p.code == policy.code for p in policies):
            errors[f"{prefix}code"] = _("Policy %(code)s appears twice in the file.") % {"code": policy.code}
        target = (policy.applies_to.kind, policy.applies_to.code)
        holder = targets.get(target) or (
            WarrantyPolicy.objects.filter(is_active=True, applies_to_kind=target[0], applies_to_code=target[1])
            .exclude(code=policy.code)
            .values_list("code", flat=True)
            .first()
        )
        if holder is not None and holder != policy.code:
            errors[f"{prefix}applies_to"] = _("Policy %(code)s already applies to the same products.") % {
                "code": holder
            }
        targets[target] = policy.code
        _check_applies_to(policy, prefix, errors)
        policies.append(policy)
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(
            _("The policy file is invalid: %(path)s: %(message)s") % {"path": first, "message": errors[first]},
            errors=errors,
            field=first,
        )
    return policies


def policy_load(*, actor: Actor, text: str) -> list[WarrantyPolicy]:
    """Validate a YAML file of one or several policies and store them all, or none (R-B3, R-B4)."""
    policies = policy_check(actor=actor, text=text)
    stored: list[WarrantyPolicy] = []
    with transaction.atomic():
        for policy in policies:
            row, _created = WarrantyPolicy.objects.update_or_create(
                code=policy.code,
                defaults={
                    "name": policy.name,
                    "applies_to_kind": policy.applies_to.kind,
                    "applies_to_code": policy.applies_to.code,
                    "document": policy_to_dict(policy),
                    "is_active": True,
                },
            )
            stored.append(row)
    # No event table for configuration yet: the audit log records who changed which promise.
    audit_log.info("policies loaded user=%s codes=%s", actor.user_id, ",".join(p.code for p in policies))
    return stored


def policy_switch_off(*, actor: Actor, policy: WarrantyPolicy) -> WarrantyPolicy:
    """Stop applying a policy; it is never deleted (the quotes made under it still name it and its version)."""
    if actor.role not in POLICY_EDITOR_ROLES:
        raise PermissionDenied(_("Only an administrator or a service manager may load policies."))
    switched = WarrantyPolicy.objects.filter(pk=policy.pk, is_active=True).update(is_active=False)
    if switched:
        # No event table for configuration yet: the audit log records who changed which promise.
        audit_log.info("policy switched off user=%s code=%s", actor.user_id, policy.code)
    policy.refresh_from_db()
    return policy


def policy_export() -> str:
    """All active policies as one YAML file (`policies: [...]`) that `policy_load` reads back unchanged."""
    documents = [
        policy_to_dict(policy_from_dict(row.document))
        for row in WarrantyPolicy.objects.filter(is_active=True).order_by("code")
    ]
    return yaml.safe_dump({"policies": documents}, allow_unicode=True, sort_keys=False, width=100)
