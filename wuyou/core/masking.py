"""Masking of personal data for minimal display (PIPL art. 6; GB/T 35273 §7.3)."""

from __future__ import annotations


def mask_phone(number: str) -> str:
    """`13812341234` → `138****1234`; landlines keep area code and last 4 digits."""
    digits = number.strip()
    if not digits:
        return ""
    if "-" in digits:
        area, _, local = digits.partition("-")
        return f"{area}-{'*' * max(len(local) - 4, 0)}{local[-4:]}"
    if len(digits) <= 7:
        return "*" * (len(digits) - 4) + digits[-4:] if len(digits) > 4 else "****"
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_name(name: str) -> str:
    """`王秀英` → `王**`: keeps the family name only."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)


def mask_address(detail: str) -> str:
    """`香港中路 36 号 2 单元 1201` → `香港中路****`: the street's first four characters, the rest hidden."""
    text = detail.strip()
    if not text:
        return ""
    return text[: min(4, max(len(text) // 3, 1))] + "****"
