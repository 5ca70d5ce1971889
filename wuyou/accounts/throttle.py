"""Back-off after failed logins, token attempts and second-factor codes, kept in the shared cache.

Every door that checks a secret (the staff login, the admin login, API tokens, the second-factor page) asks
`wait_seconds` before checking and calls `failed` after a wrong secret. A key earns a few free failures, then a
wait that doubles with each further failure (1 s, 2 s, 4 s …) up to a cap: a brute force is slowed to one guess per
cap, while nobody — not even an attacker hammering from elsewhere — can lock the real user out for longer than the
cap. Refused attempts (those made while waiting) are not counted, so hammering does not lengthen the wait.

Keys are normalised the way Django's authentication normalises usernames (NFKC) and case-folded, so `ｓupervisor`
(full-width s) and `Supervisor` count against `supervisor`. The client address is REMOTE_ADDR, or — only when
configured — the entry of a trusted proxy header that the outermost trusted proxy wrote (docs/security.md).
The counts live in Django's cache (the database cache table or Redis), shared by every process.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from wuyou.core.errors import DomainError

USERNAME_MAX = 150


class TooManyAttempts(DomainError):
    """Too many wrong secrets from this key: try again after `retry_after` seconds."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, retry_after: int, message: str | None = None):
        self.retry_after = max(1, int(retry_after))
        super().__init__(
            message or _("Too many failed attempts. Try again in %(seconds)d seconds.") % {"seconds": self.retry_after}
        )


@dataclass(frozen=True)
class Backoff:
    """`free` failures without a wait, then `first` seconds doubling with each failure, at most `longest`."""

    free: int
    longest: int
    first: float = 1.0

    @classmethod
    def parse(cls, text: str, *, scale: int = 1) -> Backoff:
        """`"5/300"`: five free failures, waits capped at 300 s; `scale` multiplies the free failures."""
        free, _sep, longest = str(text).partition("/")
        return cls(free=max(1, int(free or 5)) * scale, longest=max(1, int(longest or 300)))

    def wait_after(self, failures: int) -> float:
        """Seconds to wait after `failures` consecutive failures."""
        if failures < self.free:
            return 0.0
        exponent = min(failures - self.free, 32)  # 2**32 s is far past any cap
        return min(float(self.longest), self.first * 2**exponent)

    @property
    def memory_seconds(self) -> int:
        """A key's failures are forgotten after this long without a new one."""
        return max(3600, self.longest * 4)


@dataclass(frozen=True)
class Door:
    """One kind of key (`login-account`, `token-address` …) and the setting that holds its back-off."""

    name: str
    setting: str
    default: str
    scale: int = 1

    @property
    def policy(self) -> Backoff:
        return Backoff.parse(getattr(settings, self.setting, self.default), scale=self.scale)


# Per account, whatever the address: twice the free failures of one address, so a user who mistypes from
# one place meets the per-address wait first, and a spread-out guesser is still slowed.
LOGIN_ACCOUNT = Door("login-account", "WUYOU_LOGIN_RATE", "5/300", scale=2)
LOGIN_PAIR = Door("login-pair", "WUYOU_LOGIN_RATE", "5/300")  # per account and address
TOKEN_ADDRESS = Door("token-address", "WUYOU_TOKEN_RATE", "10/300")  # wrong API tokens per address
SECOND_FACTOR = Door("second-factor", "WUYOU_LOGIN_RATE", "5/300")  # wrong codes per user


def normalise_username(raw: str | None) -> str:
    """The username as Django's authentication sees it (NFKC), case-folded and trimmed."""
    text = unicodedata.normalize("NFKC", raw or "")
    return text.casefold().strip()[:USERNAME_MAX]


def _valid_address(text: str) -> str | None:
    candidate = text.strip().strip('"')
    if candidate.startswith("[") and "]" in candidate:  # [2001:db8::1]:443
        candidate = candidate[1 : candidate.index("]")]
    elif candidate.count(":") == 1:  # 203.0.113.7:51234
        candidate = candidate.partition(":")[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the trusted proxy header's entry when one is configured.

    With `WUYOU_TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"` and `WUYOU_TRUSTED_PROXY_COUNT = N`, the client is the
    N-th entry from the right: what the outermost of our N proxies saw. Entries to its left were written by the
    client and are not trusted. A missing, short or malformed header falls back to REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    header = getattr(settings, "WUYOU_TRUSTED_PROXY_HEADER", "")
    if not header:
        return remote
    count = max(1, int(getattr(settings, "WUYOU_TRUSTED_PROXY_COUNT", 1)))
    entries = [e for e in str(request.META.get(header, "")).split(",") if e.strip()]
    if len(entries) < count:
        return remote
    return _valid_address(entries[-count]) or remote


def _cache_key(door: Door, key: str) -> str:
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"wuyou:backoff:{door.name}:{digest}"


def wait_seconds(door: Door, key: str, *, now: float | None = None) -> int:
    """Whole seconds until `key` may try again at `door` (0: it may try now)."""
    record = cache.get(_cache_key(door, key))
    if not record:
        return 0
    now = time.time() if now is None else now
    remaining = float(record.get("until", 0.0)) - now
    return math.ceil(remaining) if remaining > 0 else 0


def longest_wait(*checks: tuple[Door, str]) -> int:
    """The longest wait over several (door, key) pairs."""
    return max((wait_seconds(door, key) for door, key in checks), default=0)


def failed(door: Door, key: str, *, now: float | None = None) -> int:
    """Count one failure of `key` at `door`; returns the consecutive failures so far."""
    policy = door.policy
    cache_key = _cache_key(door, key)
    now = time.time() if now is None else now
    failures = int((cache.get(cache_key) or {}).get("failures", 0)) + 1
    until = now + policy.wait_after(failures)
    cache.set(cache_key, {"failures": failures, "until": until}, policy.memory_seconds)
    return failures


def forget(door: Door, key: str) -> None:
    """A right secret: `key` starts afresh at `door`."""
    cache.delete(_cache_key(door, key))
