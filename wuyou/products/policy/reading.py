"""Reading a policy dict (pure): every mistake collected under the path of the field it concerns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any


class PolicyReader:
    """Reads typed fields from one mapping, collecting an error per bad field path."""

    def __init__(self, data: Any, path: str, errors: dict[str, str]):
        self.path, self.errors = path, errors
        self.seen: set[str] = set()
        if not isinstance(data, Mapping):
            errors[path or "$"] = "must be a mapping"
            data = {}
        self.data: Mapping[str, Any] = data

    def at(self, name: str) -> str:
        """Path of a field inside this mapping."""
        return f"{self.path}.{name}" if self.path else name

    def _get(self, name: str, default: Any) -> Any:
        self.seen.add(name)
        if name not in self.data or self.data[name] is None:
            if default is REQUIRED:
                self.errors[self.at(name)] = "required"
            return default
        return self.data[name]

    def text(self, name: str, default: str | None = None) -> str:
        value = self._get(name, default if default is not None else REQUIRED)
        if value is REQUIRED:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.errors[self.at(name)] = "must be a non-empty string"
            return ""
        return value.strip()

    def optional_text(self, name: str) -> str | None:
        value = self._get(name, None)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.errors[self.at(name)] = "must be a non-empty string"
            return None
        return value.strip()

    def integer(self, name: str, *, minimum: int = 0, default: int | None = None) -> int:
        value = self._get(name, REQUIRED if default is None else default)
        if value is REQUIRED:
            return minimum
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors[self.at(name)] = "must be a whole number"
            return minimum
        if value < minimum:
            self.errors[self.at(name)] = f"must be at least {minimum}"
            return minimum
        return value

    def optional_integer(self, name: str, *, minimum: int = 0) -> int | None:
        if self._get(name, None) is None:
            return None
        return self.integer(name, minimum=minimum)

    def fraction(self, name: str, default: str | None = None) -> Decimal:
        value = self._get(name, REQUIRED if default is None else default)
        if value is REQUIRED:
            return Decimal(0)
        return fraction_read(value, self.at(name), self.errors)

    def boolean(self, name: str, default: bool) -> bool:
        value = self._get(name, default)
        if not isinstance(value, bool):
            self.errors[self.at(name)] = "must be true or false"
            return default
        return value

    def choice(self, name: str, choices: Sequence[str], default: str | None = None) -> str:
        value = self._get(name, REQUIRED if default is None else default)
        if value is REQUIRED:
            return choices[0]
        if value not in choices:
            self.errors[self.at(name)] = f"must be one of: {', '.join(choices)}"
            return choices[0]
        return str(value)

    def date(self, name: str, *, required: bool = True) -> dt.date | None:
        value = self._get(name, REQUIRED if required else None)
        if value is None or value is REQUIRED:
            return None
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
            self.errors[self.at(name)] = "must be a date (YYYY-MM-DD)"
            return None
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                self.errors[self.at(name)] = "must be a date (YYYY-MM-DD)"
                return None
        return value

    def items(self, name: str) -> list[Any]:
        value = self._get(name, REQUIRED)
        if value is REQUIRED:
            return []
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
            self.errors[self.at(name)] = "must be a list"
            return []
        return list(value)

    def reject_unknown(self) -> None:
        """Name every key this reader did not ask for: a typo must not silently drop a promise."""
        for key in self.data:
            if key not in self.seen:
                self.errors[self.at(str(key))] = "unknown field"


REQUIRED: Any = object()


def fraction_read(value: Any, path: str, errors: dict[str, str]) -> Decimal:
    if isinstance(value, bool):
        errors[path] = "must be a number between 0 and 1"
        return Decimal(0)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors[path] = "must be a number between 0 and 1"
        return Decimal(0)
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(1):
        errors[path] = "must be a number between 0 and 1"
        return Decimal(0)
    return number
