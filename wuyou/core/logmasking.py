"""Logs never hold a full phone number, a token, a key, a secret or a password (ASVS 7.1.1; issue 12 item 9).

`mask_text` rewrites a log line: Chinese mobiles (1[3-9] and 9 digits, with or without +86 and separators) and
landlines with an area code are masked as wuyou.core.masking.mask_phone shows them (`191****7645`,
`0532-****1234`), wherever they stand (a query string, a path, free text); the value of any parameter whose name
speaks of a token, key, secret or password becomes `***`. `SensitiveDataFilter` applies it to every record a
handler emits (settings.LOGGING puts it on every handler); wuyou.core.gunicorn_logger does the same for the access
log of `wuyou serve`.

Imports nothing of Django: gunicorn's master process loads this before any settings.
"""

from __future__ import annotations

import logging
import re

from wuyou.core.masking import mask_phone

HIDDEN = "***"
# A separator inside a number as people and URLs write it: a dash, a space, or a URL-encoded space.
_SEP = r"(?:-|\s|%20|\+)?"
# Digits may follow any character but a digit: `phone=1918…`, `%3D1918…` (an encoded `=`), `tel:1918…`.
_MOBILE = re.compile(rf"(?<!\d)(?:(?:\+|%2[Bb]|00)?86{_SEP})?(1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}})(?!\d)")
_LANDLINE = re.compile(
    rf"(?<![\d.])(?:(?:\+|%2[Bb]|00)?86{_SEP})?(0[1-9]\d{{1,2}})(?:-|%2[Dd]|\s|%20)?(\d{{7,8}})(?!\d)"
)
# `token=…`, `api_key: …`, `"password": "…"`: the name speaks of a secret; its value is hidden whatever it is.
_SECRET_NAME = r"[\w.\-\[\]]*(?:token|key|secret|password|passwd|pwd|otp)[\w.\-\[\]]*"
_SECRET_PARAM = re.compile(rf"(?i)({_SECRET_NAME})(=|%3[Dd])([^&\s\"';,]*)")
_SECRET_FIELD = re.compile(rf"(?i)([\"']?{_SECRET_NAME}[\"']?\s*:\s*)(\"[^\"]*\"|'[^']*'|[^\s,;}}&]+)")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]+")


def _digits(text: str) -> str:
    return re.sub(r"%20|\D", "", text)  # an encoded space's "20" is no digit of the number


def _mobile(match: re.Match[str]) -> str:
    return mask_phone(_digits(match.group(1)))


def _landline(match: re.Match[str]) -> str:
    return mask_phone(f"{match.group(1)}-{match.group(2)}")


def mask_text(text: str) -> str:
    """The text with secrets' values hidden and every phone number masked."""
    if not text:
        return text
    text = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}{m.group(2)}{HIDDEN}", text)
    text = _SECRET_FIELD.sub(lambda m: f"{m.group(1)}{HIDDEN}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {HIDDEN}", text)
    text = _MOBILE.sub(_mobile, text)
    return _LANDLINE.sub(_landline, text)


class SensitiveDataFilter(logging.Filter):
    """Masks phones and secrets in the record's message, its exception text and its stack before any handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: let the handler report it as usual
            return True
        masked = mask_text(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True
