"""R-B3: warranty and fee policies as data; every charge of a quote carries the rule and version behind it.

Pure rules, no database. The example policies follow the seeds: the watch maker (10-day return,
cost price for user damage in warranty, half price after the 4-year warranty, trade-in of any old
watch at half the current retail price, free battery) and the air-conditioner service standard
(software set-up free within 1 month of installation, charged after 3; the lower of the price list
and the warranty card).
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wuyou.products.policy import (
    LABOUR_CODE,
    NATIONAL_THREE_GUARANTEES,
    PartInput,
    Policy,
    PolicyError,
    add_months,
    policy_from_dict,
    policy_to_dict,
    quote,
)

D = Decimal
DAY = dt.timedelta(days=1)

WATCH_DOC = {
    "code": "watch-promise",
    "name": "Watch maker's promise",
    "applies_to": {"kind": "category", "code": "watch"},
    "versions": [
        {
            "label": "watch-2024",
            "valid_from": "2024-01-01",
            "rules": [
                {"kind": "return_within_days", "days": 10},
                {"kind": "exchange_within_days", "days": 10},
                {"kind": "free_repair", "months": 48},
                {"kind": "user_damage_in_warranty", "labour_charged": False},
                {"kind": "out_of_warranty", "age_fractions": [{"from_years": 4, "fraction": "0.5"}]},
                {"kind": "free_consumable", "part_pattern": "BAT-*", "labour": "free"},
                {"kind": "trade_in", "customer_pays_fraction": "0.5", "brand": "Shanghai"},
            ],
        }
    ],
}

AC_DOC = {
    "code": "ac-promise",
    "name": "Air conditioner promise",
    "applies_to": {"kind": "product_model", "code": "KFR-35GW/BpXAA1"},
    "versions": [
        {
            "label": "ac-2024",
            "valid_from": "2024-01-01",
            "valid_until": "2024-12-31",
            "rules": [{"kind": "free_repair", "months": 12, "counted_from": "installation"}],
        },
        {
            "label": "ac-2025",
            "valid_from": "2025-01-01",
            "valid_until": None,
            "rules": [
                {"kind": "return_within_days", "days": 7},
                {"kind": "exchange_within_days", "days": 15},
                {"kind": "free_repair", "months": 12, "component": "whole_unit", "counted_from": "installation"},
                {"kind": "free_repair", "months": 60, "component": "compressor", "counted_from": "installation"},
                {"kind": "user_damage_in_warranty", "labour_charged": True},
                {"kind": "out_of_warranty"},
                {"kind": "free_consumable", "part_pattern": "FILTER-*", "months": 24},
                {
                    "kind": "software_setup",
                    "free_months": 1,
                    "charged_after_months": 3,
                    "between_fraction": "0.5",
                    "counted_from": "installation",
                },
                {"kind": "lower_of_two"},
            ],
        },
    ],
}

WATCH = policy_from_dict(WATCH_DOC)
AC = policy_from_dict(AC_DOC)

CASE = PartInput("CASE-01", "case", cost_price=D("40.00"), retail_price=D("100.00"))
BATTERY = PartInput("BAT-377", "battery", cost_price=D("2.00"), retail_price=D("15.00"))
COMPRESSOR = PartInput("CMP-1", "compressor", D("600.00"), D("900.00"), component="compressor")
FAN = PartInput("FAN-1", "fan motor", D("120.00"), D("200.00"), component="fan")
FILTER = PartInput("FILTER-9", "filter", D("5.00"), D("30.00"))
NEW_WATCH = PartInput("W-2026", "new watch", D("300.00"), D("800.00"))

PURCHASED = dt.date(2025, 6, 1)
INSTALLED = dt.date(2025, 6, 3)


def quote_on(policy: Policy, service_date: dt.date, **kw):
    """Quote a repair with the usual unit and defaults; keyword arguments override."""
    args: dict[str, Any] = {
        "purchased_on": PURCHASED,
        "installed_on": INSTALLED,
        "service_date": service_date,
        "job_type": "repair",
        "fault_cause": "quality",
        "parts": [],
        "labour_fee": D("0"),
    }
    args.update(kw)
    return quote(policy, **args)


def option(q, kind):
    """The quote's option of one kind."""
    return next(o for o in q.options if o.kind == kind)


# --------------------------------------------------------------------------- return / exchange


@pytest.mark.parametrize(
    ("policy", "kind", "days_after", "eligible"),
    [
        (NATIONAL_THREE_GUARANTEES, "return_within_days", 0, True),
        (NATIONAL_THREE_GUARANTEES, "return_within_days", 7, True),
        (NATIONAL_THREE_GUARANTEES, "return_within_days", 8, False),
        (NATIONAL_THREE_GUARANTEES, "exchange_within_days", 15, True),
        (NATIONAL_THREE_GUARANTEES, "exchange_within_days", 16, False),
        (WATCH, "return_within_days", 10, True),
        (WATCH, "return_within_days", 11, False),
    ],
)
def test_r_b3_return_and_exchange_deadline_day_of_purchase_is_day_0(policy, kind, days_after, eligible):
    """R-B3: given a defect reported N days after purchase, the option is open through purchase + N days."""
    q = quote_on(policy, PURCHASED + days_after * DAY)
    opt = option(q, kind)
    assert opt.eligible is eligible
    days = {"return_within_days": 7, "exchange_within_days": 15}[kind] if policy is not WATCH else 10
    assert opt.deadline == PURCHASED + days * DAY
    assert opt.explanation.params["counting"] == "calendar_days_after_purchase"
    assert opt.version == q.version


def test_r_b3_return_needs_a_defect():
    """R-B3: user damage on day 1 gives no return or exchange."""
    q = quote_on(NATIONAL_THREE_GUARANTEES, PURCHASED + DAY, fault_cause="user_damage")
    assert [o.eligible for o in q.options] == [False, False]


# --------------------------------------------------------------------------- free repair


@pytest.mark.parametrize(
    ("service_date", "share", "rule_kind"),
    [
        (dt.date(2026, 5, 31), D("0.00"), "free_repair"),  # last day of the 12-month warranty
        (dt.date(2026, 6, 1), D("100.00"), "out_of_warranty"),  # the anniversary: expired
    ],
)
def test_r_b3_whole_unit_warranty_last_day_vs_next_day(service_date, share, rule_kind):
    """R-B3: national 三包 whole-unit repair covers the day before the first anniversary, not the anniversary."""
    q = quote_on(NATIONAL_THREE_GUARANTEES, service_date, parts=[FAN], labour_fee=D("50"), installed_on=None)
    fan_line = q.lines[0]
    assert (fan_line.customer_share, fan_line.rule_kind) == (share * 2, rule_kind)
    assert q.lines[1].customer_share == share / 2
    assert fan_line.version == "sanbao-2013"


def test_r_b3_free_repair_explains_months_component_and_until():
    """R-B3: a free line says which promise made it free and until when."""
    q = quote_on(NATIONAL_THREE_GUARANTEES, dt.date(2025, 12, 1), parts=[FAN], installed_on=None)
    line = q.lines[0]
    assert line.explanation.key == "free_repair"
    assert line.explanation.params == {"months": 12, "component": "whole_unit", "until": dt.date(2026, 5, 31)}
    assert (line.amount, line.customer_share, q.customer_total) == (D("200.00"), D("0.00"), D("0.00"))


@pytest.mark.parametrize(
    ("part", "service_date", "free"),
    [
        (COMPRESSOR, dt.date(2030, 6, 2), True),  # last day of 5 years from installation (3 June 2025)
        (COMPRESSOR, dt.date(2030, 6, 3), False),
        (FAN, dt.date(2026, 6, 2), True),  # fan is only under the 1-year whole-unit warranty
        (FAN, dt.date(2026, 6, 3), False),
        (FAN, dt.date(2028, 1, 1), False),
    ],
)
def test_r_b3_component_warranty_compressor_5_years_vs_whole_unit_1_year(part, service_date, free):
    """R-B3: a compressor fault in year 3 is free; a fan fault in year 3 is charged."""
    q = quote_on(AC, service_date, parts=[part])
    line = q.lines[0]
    assert (line.customer_share == 0) is free
    if free:
        assert line.explanation.params["component"] in {"compressor", "whole_unit"}


def test_r_b3_labour_is_free_only_when_every_part_is_covered():
    """R-B3: in year 3 labour for a compressor job is free, for a compressor + fan job it is charged."""
    day = dt.date(2028, 1, 1)
    only_compressor = quote_on(AC, day, parts=[COMPRESSOR], labour_fee=D("80"))
    with_fan = quote_on(AC, day, parts=[COMPRESSOR, FAN], labour_fee=D("80"))
    assert only_compressor.lines[-1].customer_share == D("0.00")
    assert with_fan.lines[-1].customer_share == D("80.00")
    assert with_fan.lines[-1].explanation.params["warranty_until"] == dt.date(2026, 6, 2)


@pytest.mark.parametrize(
    ("counted_from", "installed_on", "free"),
    [
        ("installation", dt.date(2025, 9, 1), True),  # 12 months from installation: until 31 Aug 2026
        ("purchase", dt.date(2025, 9, 1), False),  # 12 months from purchase: until 31 May 2026
        ("installation", None, False),  # no installation date: counted from purchase
    ],
)
def test_r_b3_warranty_counted_from_installation_or_purchase(counted_from, installed_on, free):
    """R-B3: the policy says whether the warranty starts at purchase or at installation."""
    doc = copy.deepcopy(AC_DOC)
    doc["versions"][1]["rules"][2]["counted_from"] = counted_from
    q = quote_on(policy_from_dict(doc), dt.date(2026, 7, 1), parts=[FAN], installed_on=installed_on)
    assert (q.lines[0].customer_share == 0) is free


# --------------------------------------------------------------------------- user damage, wear, age


@pytest.mark.parametrize(
    ("policy", "part", "cause", "part_share", "labour_share"),
    [
        (WATCH, CASE, "user_damage", D("40.00"), D("0.00")),  # cost price, labour free
        (WATCH, CASE, "misuse", D("40.00"), D("0.00")),
        (AC, FAN, "user_damage", D("120.00"), D("60.00")),  # cost price, labour charged
    ],
)
def test_r_b3_user_damage_inside_warranty_parts_at_cost(policy, part, cause, part_share, labour_share):
    """R-B3: user-caused damage inside warranty costs the part's cost price; labour as the policy says."""
    q = quote_on(policy, dt.date(2025, 12, 1), parts=[part], fault_cause=cause, labour_fee=D("60"))
    assert [line.customer_share for line in q.lines] == [part_share, labour_share]
    assert {line.rule_kind for line in q.lines} == {"user_damage_in_warranty"}
    assert q.lines[0].amount == part.retail_price
    assert q.lines[1].explanation.params["labour"] == ("charged" if labour_share else "free")


def test_r_b3_user_damage_after_warranty_is_charged_from_the_fee_schedule():
    """R-B3: once the warranty is over, user damage is an ordinary out-of-warranty repair."""
    q = quote_on(AC, dt.date(2027, 1, 1), parts=[FAN], fault_cause="user_damage", labour_fee=D("60"))
    assert [line.customer_share for line in q.lines] == [D("200.00"), D("60.00")]
    assert q.lines[0].explanation.params["reason"] == "user_damage"


@pytest.mark.parametrize(
    ("service_date", "fraction", "share"),
    [
        (dt.date(2029, 5, 31), D("1"), D("100.00")),  # day before the 4th anniversary: full fee
        (dt.date(2029, 6, 1), D("0.5"), D("50.00")),  # from the 4th anniversary on: half price
        (dt.date(2035, 1, 1), D("0.5"), D("50.00")),
    ],
)
def test_r_b3_out_of_warranty_half_price_after_4_years(service_date, fraction, share):
    """R-B3: the watch maker charges half the fee schedule from the 4th anniversary of purchase."""
    q = quote_on(WATCH, service_date, parts=[CASE], fault_cause="wear")
    line = q.lines[0]
    assert (line.rule_kind, line.customer_share, line.explanation.params["fraction"]) == (
        "out_of_warranty",
        share,
        fraction,
    )


def test_r_b3_quality_fault_after_4_year_warranty_is_half_price():
    """R-B3: the watch's 4-year warranty ends the day before the anniversary; from then on half price."""
    last_day = quote_on(WATCH, dt.date(2029, 5, 31), parts=[CASE])
    next_day = quote_on(WATCH, dt.date(2029, 6, 1), parts=[CASE])
    assert (last_day.customer_total, next_day.customer_total) == (D("0.00"), D("50.00"))
    assert next_day.lines[0].explanation.params["reason"] == "expired"


def test_r_b3_without_out_of_warranty_rule_the_fee_schedule_applies():
    """R-B3: a version with no out_of_warranty rule charges the full fee schedule and says so."""
    q = quote_on(AC, dt.date(2024, 6, 1), purchased_on=dt.date(2024, 1, 1), installed_on=None, parts=[FAN],
                 fault_cause="wear")  # fmt: skip
    assert (q.version, q.lines[0].rule_kind, q.lines[0].customer_share) == ("ac-2024", "fee_schedule", D("200.00"))


# --------------------------------------------------------------------------- consumables, set-up, trade-in


@pytest.mark.parametrize(
    ("policy", "part", "service_date", "cause", "share", "rule_kind"),
    [
        (WATCH, BATTERY, dt.date(2040, 1, 1), "wear", D("0.00"), "free_consumable"),  # free for life
        (WATCH, BATTERY, dt.date(2026, 1, 1), "quality", D("0.00"), "free_repair"),  # warranty explains first
        (WATCH, BATTERY, dt.date(2026, 1, 1), "user_damage", D("2.00"), "user_damage_in_warranty"),
        (WATCH, CASE, dt.date(2026, 1, 1), "wear", D("100.00"), "out_of_warranty"),  # not a consumable
        (AC, FILTER, dt.date(2027, 5, 31), "wear", D("0.00"), "free_consumable"),  # 24 months from purchase
        (AC, FILTER, dt.date(2027, 6, 1), "wear", D("30.00"), "out_of_warranty"),
    ],
)
def test_r_b3_free_consumable(policy, part, service_date, cause, share, rule_kind):
    """R-B3: free battery replacement (and a filter for 2 years); other parts and other causes are charged."""
    q = quote_on(policy, service_date, parts=[part], fault_cause=cause, labour_fee=D("10"))
    assert (q.lines[0].customer_share, q.lines[0].rule_kind) == (share, rule_kind)


def test_r_b3_battery_only_job_has_free_labour():
    """R-B3: replacing a free battery costs nothing at all — where the rule says its labour is free."""
    q = quote_on(WATCH, dt.date(2040, 1, 1), parts=[BATTERY], fault_cause="wear", labour_fee=D("10"))
    assert q.customer_total == D("0.00")
    assert q.lines[1].rule_kind == "free_consumable"


def test_a_free_consumables_labour_is_charged_unless_the_rule_says_free():
    """Issue 13 item 14: by default (as docs/policies.md says) labour is free only under a free_repair: a wear
    battery on a 4-year-old unit has a free part and charged labour."""

    def watch_with(labour: str | None):
        version: dict[str, Any] = WATCH_DOC["versions"][0]  # type: ignore[index]
        rules = []
        for rule in version["rules"]:
            if rule["kind"] == "free_consumable":
                rule = {k: v for k, v in rule.items() if k != "labour"} | ({"labour": labour} if labour else {})
            rules.append(rule)
        return policy_from_dict({**WATCH_DOC, "versions": [{**version, "rules": rules}]})

    for labour in ("charged", None):  # None: the documented default
        q = quote_on(watch_with(labour), dt.date(2040, 1, 1), parts=[BATTERY], fault_cause="wear", labour_fee=D("10"))
        assert (q.lines[0].rule_kind, q.lines[0].customer_share) == ("free_consumable", D("0.00"))
        assert q.lines[1].rule_kind == "out_of_warranty" and q.lines[1].customer_share > 0, labour


@pytest.mark.parametrize(
    ("service_date", "band", "share"),
    [
        (dt.date(2025, 1, 10), "free", D("0.00")),
        (dt.date(2025, 2, 9), "free", D("0.00")),  # last day of the first month
        (dt.date(2025, 2, 10), "between", D("40.00")),  # one month after installation
        (dt.date(2025, 4, 9), "between", D("40.00")),
        (dt.date(2025, 4, 10), "charged", D("80.00")),  # three months after installation
    ],
)
def test_r_b3_software_setup_free_within_1_month_charged_after_3(service_date, band, share):
    """R-B3: set-up is free for a month after installation, half price until 3 months, then charged."""
    q = quote_on(
        AC,
        service_date,
        purchased_on=dt.date(2025, 1, 5),
        installed_on=dt.date(2025, 1, 10),
        job_type="software_setup",
        labour_fee=D("80"),
    )
    line = q.lines[0]
    assert (line.line_kind, line.rule_kind, line.explanation.params["band"], line.customer_share) == (
        "software_setup",
        "software_setup",
        band,
        share,
    )
    assert line.explanation.params["free_until"] == dt.date(2025, 2, 9)
    assert line.explanation.params["charged_from"] == dt.date(2025, 4, 10)


@pytest.mark.parametrize("purchased_on", [dt.date(1990, 3, 1), dt.date(2025, 1, 1)])
def test_r_b3_trade_in_any_old_watch_of_the_brand_at_half_retail(purchased_on):
    """R-B3: any old watch of the brand, whatever its age, buys the new one at half its current retail price."""
    q = quote_on(WATCH, dt.date(2026, 3, 1), purchased_on=purchased_on, installed_on=None, job_type="trade_in",
                 parts=[NEW_WATCH], trade_in_brand="shanghai")  # fmt: skip
    line = q.lines[0]
    assert (line.line_kind, line.amount, line.customer_share) == ("trade_in", D("800.00"), D("400.00"))
    assert line.explanation.params["fraction"] == D("0.5")


@pytest.mark.parametrize(
    ("policy", "brand", "path"),
    [(WATCH, "Seiko", "trade_in_brand"), (WATCH, None, "trade_in_brand"), (AC, "Gree", "job_type")],
)
def test_r_b3_trade_in_refused_for_another_brand_or_without_the_rule(policy, brand, path):
    """R-B3: trade-in is only for the brand's own units, and only where the policy promises it."""
    with pytest.raises(PolicyError) as err:
        quote_on(policy, dt.date(2026, 3, 1), job_type="trade_in", parts=[NEW_WATCH], trade_in_brand=brand)
    assert list(err.value.errors) == [path]


# --------------------------------------------------------------------------- lower of two


@pytest.mark.parametrize(
    ("card_prices", "part_share", "labour_share", "noted"),
    [
        ({}, D("200.00"), D("60.00"), 0),
        ({"FAN-1": D("150")}, D("150.00"), D("60.00"), 1),  # card lower: the card applies
        ({"FAN-1": D("250")}, D("200.00"), D("60.00"), 0),  # card higher: the price list applies
        ({"FAN-1": D("150"), LABOUR_CODE: D("40")}, D("150.00"), D("40.00"), 2),
    ],
)
def test_r_b3_lower_of_price_list_and_warranty_card(card_prices, part_share, labour_share, noted):
    """R-B3: when the price list and the customer's warranty card disagree, the lower charge applies."""
    q = quote_on(AC, dt.date(2027, 1, 1), parts=[FAN], labour_fee=D("60"), card_prices=card_prices)
    assert [line.customer_share for line in q.lines] == [part_share, labour_share]
    notes = [note for line in q.lines for note in line.notes]
    assert len(notes) == noted
    assert all(note.key == "lower_of_two" for note in notes)


def test_r_b3_card_prices_ignored_without_lower_of_two_rule():
    """R-B3: the lower-of-two rule is a promise of the policy, not a default."""
    q = quote_on(NATIONAL_THREE_GUARANTEES, dt.date(2027, 1, 1), parts=[FAN], card_prices={"FAN-1": D("1")})
    assert q.lines[0].customer_share == D("200.00")


# --------------------------------------------------------------------------- versions and bad input


@pytest.mark.parametrize(
    ("service_date", "version", "share"),
    [(dt.date(2024, 12, 31), "ac-2024", D("0.00")), (dt.date(2025, 1, 1), "ac-2025", D("0.00"))],
)
def test_r_b3_version_selected_by_service_date(service_date, version, share):
    """R-B3: the version in force on the service date prices the job and is named on every line."""
    q = quote_on(AC, service_date, purchased_on=dt.date(2024, 6, 1), installed_on=None, parts=[FAN])
    assert q.version == version
    assert {line.version for line in q.lines} == {version}
    assert q.customer_total == share


def test_r_b3_no_version_valid_on_the_service_date():
    """R-B3: a date before the first version is refused, naming service_date."""
    with pytest.raises(PolicyError) as err:
        quote_on(AC, dt.date(2023, 12, 31), purchased_on=dt.date(2023, 1, 1))
    assert list(err.value.errors) == ["service_date"]


@pytest.mark.parametrize(
    ("kw", "paths"),
    [
        ({"service_date": dt.date(2025, 5, 31)}, ["service_date"]),
        ({"job_type": "polish"}, ["job_type"]),
        ({"fault_cause": "lightning"}, ["fault_cause"]),
        ({"labour_fee": D("-1")}, ["labour_fee"]),
        (
            {"parts": [FAN, PartInput("X", "x", D("1"), D("-2"), quantity=0)]},
            ["parts[1].retail_price", "parts[1].quantity"],
        ),
        ({"card_prices": {"FAN-1": D("-5")}}, ["card_prices.FAN-1"]),
    ],
)
def test_r_b3_bad_quote_request_names_each_field(kw, paths):
    """R-B3: a quote for a date before purchase (or other bad input) is refused, naming the field."""
    args = {"service_date": dt.date(2026, 1, 1), **kw}
    with pytest.raises(PolicyError) as err:
        quote_on(AC, **args)
    assert sorted(err.value.errors) == sorted(paths)


def _setup(doc):
    """The software_setup rule of the AC policy's current version."""
    return doc["versions"][1]["rules"][7]


def _doc_with(mutate):
    doc = copy.deepcopy(AC_DOC)
    mutate(doc)
    return doc


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d["versions"][1]["rules"].append({"kind": "free_lunch"}), "versions[1].rules[9].kind"),
        (lambda d: d["versions"][1]["rules"][2].update(months=0), "versions[1].rules[2].months"),
        (lambda d: d["versions"][1]["rules"][2].update(months="twelve"), "versions[1].rules[2].months"),
        (lambda d: d["versions"][1]["rules"][2].update(monhts=12), "versions[1].rules[2].monhts"),
        (lambda d: d["versions"][1]["rules"][2].update(counted_from="delivery"), "versions[1].rules[2].counted_from"),
        (lambda d: d["versions"][1]["rules"][3].update(component="whole_unit"), "versions[1].rules[3].component"),
        (lambda d: d["versions"][1]["rules"][0].update(counting="working_days"), "versions[1].rules[0].counting"),
        (lambda d: d["versions"][1]["rules"].append({"kind": "lower_of_two"}), "versions[1].rules[9].kind"),
        (
            lambda d: d["versions"][1]["rules"][7].update(between_fraction="1.5"),
            "versions[1].rules[7].between_fraction",
        ),
        (
            lambda d: d["versions"][1]["rules"][7].update(charged_after_months=0),
            "versions[1].rules[7].charged_after_months",
        ),
        (lambda d: d["versions"][1].update(valid_from="2024-12-31"), "versions[1].valid_from"),  # overlap by a day
        (lambda d: d["versions"][0].update(valid_until=None), "versions[1].valid_from"),  # open-ended overlaps
        (lambda d: d["versions"][1].update(valid_until="2024-06-01"), "versions[1].valid_until"),
        (lambda d: d["versions"][1].update(valid_from="1 Jan 2025"), "versions[1].valid_from"),
        (lambda d: d["versions"][1].update(label="ac-2024"), "versions[1].label"),
        (lambda d: d["versions"][1]["rules"][0].pop("kind"), "versions[1].rules[0].kind"),
        (lambda d: d.pop("code"), "code"),
        (lambda d: d.update(versions=[]), "versions"),
        (lambda d: d.update(applies_to={"kind": "category"}), "applies_to.code"),
        (lambda d: d.update(applies_to={"kind": "brand", "code": "x"}), "applies_to.kind"),
    ],
)
def test_r_b3_policy_file_errors_name_the_field_path(mutate, path):
    """R-B3: unknown rule kinds, overlapping versions and bad fields are rejected with their path."""
    with pytest.raises(PolicyError) as err:
        policy_from_dict(_doc_with(mutate))
    assert path in err.value.errors, err.value.errors


def test_r_b3_policy_file_reports_every_fault_at_once():
    """R-B3: one load lists all faults, so a policy file is fixed in one pass."""
    doc = _doc_with(lambda d: d["versions"][1]["rules"].extend([{"kind": "magic"}, {"kind": "free_repair"}]))
    doc["versions"][0]["rules"][0]["months"] = -1
    with pytest.raises(PolicyError) as err:
        policy_from_dict(doc)
    assert {"versions[1].rules[9].kind", "versions[1].rules[10].months", "versions[0].rules[0].months"} <= set(
        err.value.errors
    )


def test_r_b3_policy_document_must_be_a_mapping():
    """R-B3: a YAML file holding a list is refused."""
    with pytest.raises(PolicyError):
        policy_from_dict(["not", "a", "policy"])


@pytest.mark.parametrize("policy", [NATIONAL_THREE_GUARANTEES, WATCH, AC])
def test_r_b3_policy_export_reads_back_unchanged(policy):
    """R-B3: exporting a policy and loading the export gives the same policy (version control round trip)."""
    exported = policy_to_dict(policy)
    assert policy_from_dict(exported) == policy
    assert policy_to_dict(policy_from_dict(exported)) == exported


def test_r_b3_national_three_guarantees_default():
    """R-B3: the 三包 default: 7-day return, 15-day exchange, 1 year whole unit, 3 years compressor."""
    policy = NATIONAL_THREE_GUARANTEES
    assert policy.applies_to.kind == "default"
    kinds = [(r.kind, getattr(r, "days", None) or getattr(r, "months", None)) for r in policy.versions[0].rules]
    assert ("return_within_days", 7) in kinds
    assert ("exchange_within_days", 15) in kinds
    assert ("free_repair", 12) in kinds and ("free_repair", 36) in kinds


def test_add_months_rolls_back_to_the_last_day_of_short_months():
    """R-B3: a warranty bought on 31 January is counted to the end of February, not into March."""
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 11, 15), 3) == dt.date(2026, 2, 15)


# --------------------------------------------------------------------------- properties

MONEY = st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False, allow_infinity=False)
PART_CODES = st.sampled_from(["CMP-1", "FAN-1", "BAT-1", "FILTER-1", "CASE-1"])


@st.composite
def parts_strategy(draw):
    """A few parts with any prices and components."""
    return [
        PartInput(
            code=draw(PART_CODES),
            name="part",
            cost_price=draw(MONEY),
            retail_price=draw(MONEY),
            quantity=draw(st.integers(1, 3)),
            component=draw(st.sampled_from(["whole_unit", "compressor", "fan"])),
        )
        for _ in range(draw(st.integers(0, 3)))
    ]


@st.composite
def jobs(draw):
    """Any valid quote request against one of the example policies."""
    purchased = draw(st.dates(dt.date(2025, 1, 1), dt.date(2030, 12, 31)))
    installed = draw(st.one_of(st.none(), st.just(purchased + draw(st.integers(0, 30)) * DAY)))
    service = (installed or purchased) + draw(st.integers(0, 12 * 365)) * DAY
    return {
        "policy": draw(st.sampled_from([NATIONAL_THREE_GUARANTEES, WATCH, AC])),
        "purchased_on": purchased,
        "installed_on": installed,
        "service_date": service,
        "job_type": draw(st.sampled_from(["repair", "maintenance", "software_setup"])),
        "fault_cause": draw(st.sampled_from(["quality", "user_damage", "wear", "misuse"])),
        "parts": draw(parts_strategy()),
        "labour_fee": draw(MONEY),
        "card_prices": draw(st.dictionaries(st.sampled_from(["CMP-1", "FAN-1", LABOUR_CODE]), MONEY, max_size=3)),
    }


def _quote(job):
    job = dict(job)
    return quote(job.pop("policy"), **job)


@settings(max_examples=150, deadline=None)
@given(jobs())
def test_r_b3_property_a_charge_is_never_negative(job):
    """R-B3: no line ever asks the customer for less than nothing, nor more than the line's fee standard."""
    q = _quote(job)
    for line in q.lines:
        assert D(0) <= line.customer_share <= line.amount
    assert D(0) <= q.customer_total <= q.total


@settings(max_examples=150, deadline=None)
@given(jobs())
def test_r_b3_property_quality_fault_inside_warranty_costs_nothing(job):
    """R-B3: inside the whole-unit warranty a quality-fault repair never costs the customer anything."""
    job.update(fault_cause="quality", job_type="repair")
    policy = job["policy"]
    version = policy.version_on(job["service_date"])
    whole = next(r for r in version.rules if r.kind == "free_repair" and r.component == "whole_unit")
    start = job["installed_on"] or job["purchased_on"] if whole.counted_from == "installation" else job["purchased_on"]
    if job["service_date"] < add_months(start, whole.months):
        assert _quote(job).customer_total == D("0.00")


@settings(max_examples=150, deadline=None)
@given(jobs())
def test_r_b3_property_lower_of_two_never_raises_a_price(job):
    """R-B3: showing the warranty card never makes any line dearer than the price list alone."""
    with_card = _quote(job)
    without_card = _quote({**job, "card_prices": {}})
    for a, b in zip(with_card.lines, without_card.lines, strict=True):
        assert a.customer_share <= b.customer_share
        assert a.amount <= b.amount
