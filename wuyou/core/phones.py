"""Mainland China phone numbers: normalisation and validation (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area codes: 010, 02X, or 0 + 3 digits (not starting with 0/1/2 for 3-digit codes); local 7-8 digits.
_LANDLINE = re.compile(r"^(010|02\d|0[3-9]\d{2})(\d{7,8})$")
_SEPARATORS = re.compile(r"[\s\-()（）]")


class InvalidPhone(ValueError):
    """The text is not a mainland mobile or landline number."""


@dataclass(frozen=True)
class Phone:
    """A normalised phone number: digits only for mobiles, `area-local` for landlines."""

    number: str
    kind: str  # "mobile" | "landline"


def parse_phone(text: str) -> Phone:
    """Normalise user input (+86 prefix, spaces, dashes) or raise InvalidPhone."""
    raw = _SEPARATORS.sub("", (text or "").strip())
    if raw.startswith("+86"):
        raw = raw[3:]
    elif raw.startswith("0086"):
        raw = raw[4:]
    if not raw.isdigit():
        raise InvalidPhone(text)
    if _MOBILE.match(raw):
        return Phone(raw, "mobile")
    m = _LANDLINE.match(raw)
    if m:
        return Phone(f"{m.group(1)}-{m.group(2)}", "landline")
    raise InvalidPhone(text)


def phone_search_key(text: str) -> str | None:
    """The normalised form to search by, or None when the text is not a phone number."""
    try:
        return parse_phone(text).number
    except InvalidPhone:
        return None
