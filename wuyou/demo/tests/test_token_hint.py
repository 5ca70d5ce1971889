"""The API example printed with the demo's token points at the port the server listens on (issue 13 item 12)."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.test import override_settings

TINY = {"customers": 12, "units": 14, "requests": 16, "engineers": 8}


def load(**options: object) -> str:
    out = StringIO()
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        call_command("load_demo", stdout=out, **{**TINY, **options})
    return out.getvalue()


def test_the_curl_hint_uses_the_given_port_else_wuyou_port_else_8000(db, monkeypatch):
    monkeypatch.delenv("WUYOU_PORT", raising=False)
    assert "http://127.0.0.1:8123/api/v1/requests" in load(port=8123)
    assert "http://127.0.0.1:8000/api/v1/requests" in load(new_token=True)
    monkeypatch.setenv("WUYOU_PORT", "8042")
    out = StringIO()
    call_command("load_demo", "--new-token", stdout=out)  # the default is read when the parser is made
    assert "http://127.0.0.1:8042/api/v1/requests" in out.getvalue()
