"""Warranty and fee policies as data, and the fee quote that explains every charge (R-B3, R-B4).

Pure rules: no Django, no database. A `Policy` maps 1:1 to a plain dict (and so to a YAML file):
`policy_from_dict` validates and builds one, `policy_to_dict` exports it. `quote` prices a job
under the policy version valid on the service date; every line names the rule kind and the
version label behind it, with an explanation *key + params* that the caller translates.

Counting conventions (stated as fields on the rules so a policy file says which it follows):
- day rules, ``counting: calendar_days_after_purchase``: the day of purchase is day 0, so
  "within 7 days" allows the service date up to and including purchase + 7 days;
- month rules, ``counting: months_until_day_before_anniversary``: a 12-month warranty from
  1 June 2025 covers up to and including 31 May 2026 (a 31st rolls back to the month's last
  day); "after 4 years" begins on the 4th anniversary.

Money is `Decimal` in yuan, rounded half-up to 2 decimals.

By sub-domain: the terms rules count in (terms.py), reading a dict with every mistake named (reading.py), the
rule kinds (rules.py), the policy document and its versions (document.py), the quote (quote.py), and China's 三包 as
the default policy (sanbao.py). A new rule kind goes in rules.py and RULE_KINDS, then the quote prices it.
"""

from wuyou.products.policy.document import AppliesTo, Policy, PolicyVersion, policy_from_dict, policy_to_dict
from wuyou.products.policy.quote import Explanation, PartInput, Quote, QuoteLine, QuoteOption, quote
from wuyou.products.policy.rules import RULE_KINDS, Rule
from wuyou.products.policy.sanbao import NATIONAL_THREE_GUARANTEES
from wuyou.products.policy.terms import (
    APPLIES_TO_KINDS,
    COUNTED_FROM,
    DAYS_AFTER_PURCHASE,
    FAULT_CAUSES,
    JOB_TYPES,
    LABOUR_CODE,
    MONTHS_UNTIL_DAY_BEFORE_ANNIVERSARY,
    WHOLE_UNIT,
    PolicyError,
    add_months,
    money,
    months_period_end,
)

__all__ = [
    "APPLIES_TO_KINDS",
    "COUNTED_FROM",
    "DAYS_AFTER_PURCHASE",
    "FAULT_CAUSES",
    "JOB_TYPES",
    "LABOUR_CODE",
    "MONTHS_UNTIL_DAY_BEFORE_ANNIVERSARY",
    "NATIONAL_THREE_GUARANTEES",
    "RULE_KINDS",
    "WHOLE_UNIT",
    "AppliesTo",
    "Explanation",
    "PartInput",
    "Policy",
    "PolicyError",
    "PolicyVersion",
    "Quote",
    "QuoteLine",
    "QuoteOption",
    "Rule",
    "add_months",
    "money",
    "months_period_end",
    "policy_from_dict",
    "policy_to_dict",
    "quote",
]
