"""The hooks through which the apps above customers take part in anonymising a customer (PIPL art. 47).

customers never imports those apps. Each registers, in its AppConfig.ready():

- an **open-jobs check**: the customer's jobs still under way in its tables (an open request, a booked visit, a
  loaner still with him), as short labels; while any is open the customer is not anonymised;
- an **eraser**: blanks or redacts what its tables hold of him (contact phones, signatures, names who signed, his
  names, numbers and streets in free text). It runs inside the anonymisation's transaction, with the customer's
  row locked, and must not commit or call out of the process.

Registering a name again replaces it, so a reload does not run an eraser twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from django.utils.translation import gettext_lazy as _

# What stands where his name, number or street was. Stored in the language active when he is anonymised.
PLACEHOLDER = _("[anonymised]")

# A name or street shorter than this is not searched for in free text: one character would redact half the text.
MIN_NEEDLE = 2
# Between the digits of a number written by hand: spaces, dashes, dots, brackets.
_DIGIT_GAP = r"[\s\-–—.()（）]*"


def _digits_pattern(digits: str) -> str:
    """A number's digits with any separators between them (and +86 before), not part of a longer run of digits."""
    return r"(?<!\d)(?:(?:\+|00)?86" + _DIGIT_GAP + ")?" + _DIGIT_GAP.join(re.escape(d) for d in digits) + r"(?!\d)"


def phone_variants(number: str) -> list[str]:
    """The digit strings a normalised number is written as: a mobile whole; a landline with and without area code."""
    area, _sep, local = number.partition("-")
    if local:
        return [area + local, local]
    return [number]


@dataclass(frozen=True)
class ErasureSubject:
    """Who is being anonymised, and what of him to look for in text (the values as they were before)."""

    customer_id: int
    names: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    streets: tuple[str, ...] = ()
    placeholder: str = ""

    def with_phones(self, numbers: Iterable[str]) -> ErasureSubject:
        """The same subject, also looking for these numbers (a request's other contact number, say)."""
        extra = tuple(n for n in numbers if n and n not in self.phones)
        return replace(self, phones=self.phones + extra) if extra else self

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        texts = {t.strip() for t in (*self.names, *self.streets) if len(t.strip()) >= MIN_NEEDLE}
        parts = [re.escape(t) for t in sorted(texts, key=len, reverse=True)]
        digits = {v for number in self.phones for v in phone_variants(number) if len(v) >= 7}
        parts += [_digits_pattern(d) for d in sorted(digits, key=len, reverse=True)]
        return re.compile("|".join(parts), re.IGNORECASE) if parts else None

    def mentions(self, text: str) -> bool:
        """Whether the text names him, gives one of his numbers or his street."""
        return bool(text) and self._pattern is not None and self._pattern.search(text) is not None

    def redact(self, text: str) -> str:
        """The text with each of his names, numbers and streets replaced by the placeholder."""
        if not text or self._pattern is None:
            return text
        return self._pattern.sub(self.placeholder or str(PLACEHOLDER), text)

    def redact_data(self, value: Any) -> Any:
        """A JSON value (an event's details) with every string in it redacted."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, list):
            return [self.redact_data(v) for v in value]
        if isinstance(value, dict):
            return {k: self.redact_data(v) for k, v in value.items()}
        return value


# The customer's id → labels of his jobs still under way (empty when none).
OpenJobsCheck = Callable[[int], list[str]]
# Erase the subject's traces; returns how many rows it changed.
Eraser = Callable[[ErasureSubject], int]

_OPEN_JOBS: dict[str, OpenJobsCheck] = {}
_ERASERS: dict[str, Eraser] = {}


def open_jobs_register(name: str, check: OpenJobsCheck) -> None:
    """Add a check for jobs that keep a customer from being anonymised."""
    _OPEN_JOBS[name] = check


def eraser_register(name: str, eraser: Eraser) -> None:
    """Add an eraser run when a customer is anonymised."""
    _ERASERS[name] = eraser


def open_jobs_of(customer_id: int) -> list[str]:
    """Every registered app's open jobs of the customer, in registration order."""
    return [label for check in _OPEN_JOBS.values() for label in check(customer_id)]


def erasers_run(subject: ErasureSubject) -> dict[str, int]:
    """Run every registered eraser (inside the caller's transaction); rows changed by each."""
    return {name: eraser(subject) for name, eraser in _ERASERS.items()}


def erasers_registered() -> list[str]:
    """The names of the registered erasers (for the docs and the tests)."""
    return list(_ERASERS)


def rows_redact(
    rows: Iterable[Any], subject: ErasureSubject, fields: Iterable[str], *, json: Iterable[str] = ()
) -> int:
    """Redact text fields (and JSON fields) of model rows in place and save the changed ones; how many changed.

    A helper for the erasers: each saves only the fields it changed, row by row (a customer has few rows).
    """
    text_fields, json_fields = tuple(fields), tuple(json)
    changed = 0
    for row in rows:
        dirty = []
        for name in text_fields:
            old = getattr(row, name)
            new = subject.redact(old)
            if new != old:
                setattr(row, name, new[: _max_length(row, name, len(new))])
                dirty.append(name)
        for name in json_fields:
            old = getattr(row, name)
            new = subject.redact_data(old)
            if new != old:
                setattr(row, name, new)
                dirty.append(name)
        if dirty:
            row.save(update_fields=dirty)
            changed += 1
    return changed


def _max_length(row: Any, name: str, default: int) -> int:
    length = getattr(row._meta.get_field(name), "max_length", None)
    return int(length) if length else default
