"""China's 三包 (the national three guarantees) as a policy: the default every installation starts with."""

from __future__ import annotations

from wuyou.products.policy.document import Policy, policy_from_dict
from wuyou.products.policy.terms import WHOLE_UNIT

NATIONAL_THREE_GUARANTEES: Policy = policy_from_dict(
    {
        "code": "cn-sanbao",
        "name": "China national three guarantees (三包)",
        "applies_to": {"kind": "default"},
        "versions": [
            {
                "label": "sanbao-2013",
                "valid_from": "2013-01-01",
                "valid_until": None,
                "rules": [
                    {"kind": "return_within_days", "days": 7},
                    {"kind": "exchange_within_days", "days": 15},
                    {"kind": "free_repair", "months": 12, "component": WHOLE_UNIT, "counted_from": "purchase"},
                    # Household appliances: main components (e.g. the compressor) carry a longer warranty.
                    {"kind": "free_repair", "months": 36, "component": "compressor", "counted_from": "purchase"},
                    {"kind": "out_of_warranty"},
                ],
            }
        ],
    }
)
