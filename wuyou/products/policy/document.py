"""A policy as a document (pure): its versions and what it applies to, read from and written to a plain dict."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from wuyou.products.policy.reading import REQUIRED, PolicyReader
from wuyou.products.policy.rules import RULE_KINDS, FreeRepair, Rule
from wuyou.products.policy.terms import APPLIES_TO_KINDS, PolicyError


@dataclass(frozen=True)
class AppliesTo:
    """What a policy covers: one product model, a category, or everything (the default policy)."""

    kind: str
    code: str = ""

    def to_dict(self) -> dict[str, Any]:
        """As a plain mapping."""
        return {"kind": self.kind, "code": self.code} if self.code else {"kind": self.kind}


@dataclass(frozen=True)
class PolicyVersion:
    """The rules in force from `valid_from` to `valid_until` (inclusive; None = open-ended)."""

    label: str
    valid_from: dt.date
    valid_until: dt.date | None
    rules: tuple[Rule, ...]

    def valid_on(self, day: dt.date) -> bool:
        """Is this version in force on `day`?"""
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def rules_of(self, rule_type: type[Any]) -> list[Any]:
        """The rules of one kind, in file order."""
        return [r for r in self.rules if isinstance(r, rule_type)]

    def rule(self, rule_type: type[Any]) -> Any | None:
        """The single rule of one kind, if the version has it."""
        found = self.rules_of(rule_type)
        return found[0] if found else None


@dataclass(frozen=True)
class Policy:
    """A company's after-sales promises for a product model or category, as dated versions."""

    code: str
    name: str
    applies_to: AppliesTo
    versions: tuple[PolicyVersion, ...]

    def version_on(self, day: dt.date) -> PolicyVersion:
        """The version in force on `day`; PolicyError naming `service_date` if none is."""
        for version in self.versions:
            if version.valid_on(day):
                return version
        raise PolicyError({"service_date": f"no version of policy {self.code} is valid on {day.isoformat()}"})


def policy_from_dict(data: Any) -> Policy:
    """Validate a policy document (as loaded from YAML/JSON) and build the Policy; PolicyError lists every fault."""
    errors: dict[str, str] = {}
    r = PolicyReader(data, "", errors)
    code, name = r.text("code"), r.text("name")
    a = PolicyReader(r._get("applies_to", {"kind": "default"}), "applies_to", errors)
    applies_kind = a.choice("kind", APPLIES_TO_KINDS, "default")
    applies_code = a.text("code") if applies_kind != "default" else (a.optional_text("code") or "")
    a.reject_unknown()
    versions: list[PolicyVersion] = []
    items = r.items("versions")
    for i, item in enumerate(items):
        version = _read_version(item, f"versions[{i}]", errors)
        if version is not None:
            versions.append(version)
    if not items and "versions" not in errors:
        errors["versions"] = "at least one version is required"
    r.reject_unknown()
    _check_overlaps(versions, errors)
    if errors:
        raise PolicyError(errors)
    return Policy(
        code=code,
        name=name,
        applies_to=AppliesTo(kind=applies_kind, code=applies_code),
        versions=tuple(sorted(versions, key=lambda v: v.valid_from)),
    )


def _read_version(data: Any, path: str, errors: dict[str, str]) -> PolicyVersion | None:
    r = PolicyReader(data, path, errors)
    label = r.text("label")
    valid_from = r.date("valid_from")
    valid_until = r.date("valid_until", required=False)
    if valid_from and valid_until and valid_until < valid_from:
        errors[r.at("valid_until")] = "must not be before valid_from"
    rules: list[Rule] = []
    for j, item in enumerate(r.items("rules")):
        rule_path = f"{path}.rules[{j}]"
        rr = PolicyReader(item, rule_path, errors)
        kind = rr._get("kind", REQUIRED)
        if kind is REQUIRED:
            continue
        rule_type = RULE_KINDS.get(kind) if isinstance(kind, str) else None
        if rule_type is None:
            errors[rr.at("kind")] = f"unknown rule kind {kind!r}; known: {', '.join(RULE_KINDS)}"
            continue
        rule = rule_type.read(rr)
        rr.reject_unknown()
        if not rule_type.repeatable and any(type(x) is rule_type for x in rules):
            errors[rr.at("kind")] = f"{kind} may appear only once per version"
        if isinstance(rule, FreeRepair) and any(
            isinstance(x, FreeRepair) and x.component == rule.component for x in rules
        ):
            errors[rr.at("component")] = f"component {rule.component!r} already has a free_repair rule"
        rules.append(rule)
    r.reject_unknown()
    if valid_from is None:
        return None
    return PolicyVersion(label=label, valid_from=valid_from, valid_until=valid_until, rules=tuple(rules))


def _check_overlaps(versions: list[PolicyVersion], errors: dict[str, str]) -> None:
    indexed = sorted(enumerate(versions), key=lambda iv: iv[1].valid_from)
    for (_, earlier), (j, later) in zip(indexed, indexed[1:], strict=False):
        if earlier.valid_until is None or earlier.valid_until >= later.valid_from:
            errors[f"versions[{j}].valid_from"] = f"overlaps version {earlier.label!r}"
    labels = [v.label for v in versions]
    for j, label in enumerate(labels):
        if label and labels.index(label) != j:
            errors[f"versions[{j}].label"] = f"duplicate version label {label!r}"


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    """Export a policy as a plain mapping that `policy_from_dict` reads back unchanged."""
    return {
        "code": policy.code,
        "name": policy.name,
        "applies_to": policy.applies_to.to_dict(),
        "versions": [
            {
                "label": v.label,
                "valid_from": v.valid_from.isoformat(),
                "valid_until": v.valid_until.isoformat() if v.valid_until else None,
                "rules": [rule.to_dict() for rule in v.rules],
            }
            for v in policy.versions
        ],
    }
