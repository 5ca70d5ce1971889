"""The one place where a quote's explanation keys (from `products.policy`) become sentences in the user's language.

`policy.quote` returns `Explanation(key, params)`; this module maps every key it emits to a translated
sentence with %(param)s placeholders, and formats the parameters (dates, fractions, reasons) first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from wuyou.products.policy import WHOLE_UNIT, Explanation, Quote

# One sentence per explanation key policy.quote emits (lines, options and notes).
SENTENCES: dict[str, Promise] = {
    "free_repair": _("Quality fault of %(component)s inside the %(months)s-month warranty (until %(until)s): free."),
    "free_consumable": _("%(part_pattern)s is a free consumable%(until_clause)s: free."),
    "user_damage_in_warranty": _("User damage inside the warranty: the part at cost price, %(cost_price)s yuan."),
    "user_damage_in_warranty.labour": _("User damage inside the warranty: labour is %(labour)s."),
    "out_of_warranty": _(
        "Not covered (%(reason)s): charged from the fee schedule at %(percent)s%% of the price%(age_clause)s."
    ),
    "fee_schedule": _("Not covered (%(reason)s): charged in full from the fee schedule."),
    "software_setup": _(
        "Software set-up: free until %(free_until)s, fully charged from %(charged_from)s; this job falls in the "
        "%(band)s and is charged at %(percent)s%% of the fee."
    ),
    "trade_in": _(
        "Trade-in of an old unit%(brand_clause)s, whatever its age: the customer pays %(percent)s%% of the "
        "retail price %(retail_price)s yuan."
    ),
    "return_within_days": _("Return of a defective unit within %(days)s days of purchase, until %(deadline)s."),
    "exchange_within_days": _("Exchange of a defective unit within %(days)s days of purchase, until %(deadline)s."),
    "lower_of_two": _(
        "The price list (%(list_price)s yuan) and the warranty card (%(card_price)s yuan) disagree: the lower applies."
    ),
}

REASONS: dict[str, Promise] = {
    "expired": _("the warranty ended on %(warranty_until)s"),
    "no_warranty": _("no warranty covers this part"),
    "user_damage": _("user damage"),
    "misuse": _("misuse"),
    "wear": _("wear"),
    "quality": _("quality fault"),
    "software_setup": _("software set-up"),
}

BANDS: dict[str, Promise] = {
    "free": _("free period"),
    "between": _("reduced-fee period"),
    "charged": _("charged period"),
}

LABOUR: dict[str, Promise] = {"free": _("free"), "charged": _("charged")}

# The rule that priced a line, as people name it (quotes and receipts never show the policy file's codes).
RULES: dict[str, Promise] = {
    "free_repair": _("warranty repair"),
    "free_consumable": _("free consumable"),
    "user_damage_in_warranty": _("user damage inside the warranty"),
    "out_of_warranty": _("out of warranty"),
    "fee_schedule": _("fee schedule"),
    "software_setup": _("software set-up"),
    "trade_in": _("trade-in"),
    "return_within_days": _("return within days"),
    "exchange_within_days": _("exchange within days"),
    "lower_of_two": _("the lower of two prices"),
}


def rule_label(kind: str) -> str:
    """The rule's name in the user's language; an unknown kind (a newer policy file) as it is written."""
    label = RULES.get(kind)
    return str(label) if label is not None else kind


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value.as_tuple().exponent == -2 else format(value.normalize(), "f")
    return "" if value is None else value


def _percent(fraction: Any) -> str:
    if fraction is None:
        return "100"
    return format((Decimal(str(fraction)) * 100).quantize(Decimal("0.1")).normalize(), "f")


def explanation_params(explanation: Explanation) -> dict[str, Any]:
    """The explanation's parameters, formatted and completed with the clauses its sentence needs."""
    raw: Mapping[str, Any] = explanation.params
    params: dict[str, Any] = {k: _plain(v) for k, v in raw.items()}
    params["percent"] = _percent(raw.get("fraction"))
    if "component" in raw:
        params["component"] = str(_("the whole unit")) if raw["component"] == WHOLE_UNIT else raw["component"]
    if "reason" in raw:
        reason = REASONS.get(str(raw["reason"]))
        params["reason"] = str(reason) % params if reason is not None else str(raw["reason"])
    if "band" in raw:
        params["band"] = str(BANDS.get(str(raw["band"]), raw["band"]))
    if "labour" in raw:
        params["labour"] = str(LABOUR.get(str(raw["labour"]), raw["labour"]))
    until = raw.get("until")
    # A stored quote keeps its dates as ISO text; a fresh one as dates: both read the same.
    params["until_clause"] = str(_(" until %(until)s") % {"until": _plain(until)}) if until else ""
    step = raw.get("from_years") or 0
    params["age_clause"] = str(_(", from %(years)s years after purchase") % {"years": step}) if step else ""
    brand = raw.get("brand")
    params["brand_clause"] = str(_(" of %(brand)s") % {"brand": brand}) if brand else ""
    return params


def explain(explanation: Explanation) -> str:
    """The explanation as one sentence in the active language (the key itself if it is unknown)."""
    key = explanation.key
    if key == "user_damage_in_warranty" and "labour" in explanation.params:
        key = "user_damage_in_warranty.labour"  # the labour line of the same rule says something else
    sentence = SENTENCES.get(key)
    if sentence is None:
        return explanation.key
    params = explanation_params(explanation)
    try:
        return str(sentence) % params
    except (KeyError, ValueError, TypeError):
        # A translation with a broken placeholder must not break a quote: fall back to the source sentence.
        return explanation.key


def quote_as_dict(serial: str, priced: Quote) -> dict[str, Any]:
    """A quote with every explanation as a sentence in the active language (the API's and the CLI's shape)."""
    return {
        "serial": serial,
        "policy": priced.policy,
        "policy_version": priced.version,
        "lines": [
            {
                "kind": line.line_kind,
                "code": line.code,
                "name": line.name,
                "quantity": line.quantity,
                "amount": line.amount,
                "customer_share": line.customer_share,
                "rule": line.rule_kind,
                "policy_version": line.version,
                "explanation_key": line.explanation.key,
                "explanation": explain(line.explanation),
                "notes": [explain(note) for note in line.notes],
            }
            for line in priced.lines
        ],
        "total": priced.total,
        "customer_total": priced.customer_total,
        "options": [
            {
                "kind": option.kind,
                "eligible": option.eligible,
                "deadline": option.deadline,
                "explanation": explain(option.explanation),
            }
            for option in priced.options
        ],
    }
