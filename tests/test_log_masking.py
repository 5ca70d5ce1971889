"""No full phone number, token, key, secret or password in any log (ASVS 7.1.1; issue 12 item 9).

The access log of `wuyou serve` once wrote `/api/v1/lookup?phone=19181417645` as it came, and the console search
is a GET with the number in `?q=`. The real-server tests start gunicorn with the very command `wuyou serve` builds
(and Django's runserver), send such requests, stop the server and read what it wrote.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from wuyou import cli
from wuyou.core.logmasking import SensitiveDataFilter, mask_text

ROOT = Path(__file__).resolve().parent.parent
PHONE, MASKED = "19181417645", "191****7645"
LANDLINE, LANDLINE_MASKED = "0532-83881234", "0532-****1234"


@pytest.mark.parametrize(
    ("line", "hidden", "shown"),
    [
        ("GET /api/v1/lookup?phone=19181417645 HTTP/1.1", PHONE, MASKED),
        ("GET /customers/?q=19181417645&page=2", PHONE, MASKED),
        ("/customers/?q=%2B86%20191%208141%207645", "8141", MASKED),
        ("/login/?next=/customers/%3Fq%3D19181417645", PHONE, MASKED),
        ("call 191-8141-7645 or +86 191 8141 7645", "8141", MASKED),
        ("/lookup?phone=0532-83881234", LANDLINE, LANDLINE_MASKED),
        ("/lookup?phone=053283881234", "053283881234", LANDLINE_MASKED),
        ("/lookup?phone=0532%2D83881234", "83881234", LANDLINE_MASKED),
        ("/customers/?q=王&phone=13812345678", "13812345678", "138****5678"),
        ("/api/v1/customers?token=abc&limit=5", "token=abc", "token=***&limit=5"),
        ("/x?api_key=wy_live_123&secret=s3&password=hunter2", "wy_live_123", "api_key=***&secret=***&password=***"),
        ("/x?access_token=t0k&TOKEN=T1", "t0k", "access_token=***&TOKEN=***"),
        ("/login/?next=/x%3Ftoken%3Dabc", "abc", "token%3D***"),
        ('body {"password": "hunter2", "name": "周"}', "hunter2", '"name": "周"'),
        ("X-API-Key: wy_abc123", "wy_abc123", "X-API-Key: ***"),
        ("Authorization: Bearer wy_abc.def", "wy_abc", "Bearer ***"),
    ],
)
def test_mask_text_hides_phones_and_secrets(line, hidden, shown):
    masked = mask_text(line)
    assert hidden not in masked and shown in masked, masked


@pytest.mark.parametrize(
    "line",
    [
        "2026-11-24 07:00:00,123 INFO wuyou.dispatch plan 17 ready in 1.52 s",
        "GET /dispatch/board/?outlet=3&day=2026-11-24 HTTP/1.1 200 5120",
        "order WO-2026-000123 unit SN-CMP-2026-0001 pid 12345 ts 1718123456789",
        "127.0.0.1 - - [24/Nov/2026:07:00:00 +0800]",
    ],
)
def test_mask_text_leaves_ordinary_lines_alone(line):
    assert mask_text(line) == line


def test_the_filter_masks_arguments_exceptions_and_stacks():
    try:
        raise ValueError(f"no customer with phone {PHONE}")
    except ValueError:
        record = logging.LogRecord("wuyou", logging.ERROR, __file__, 1, "lookup %s token=%s", (PHONE, "abc"), None)
        record.exc_info = sys.exc_info()
    record.stack_info = f"Stack (most recent call last):\n  lookup(phone='{PHONE}')"
    assert SensitiveDataFilter().filter(record) is True
    text = logging.Formatter("%(message)s").format(record)
    assert PHONE not in text and "abc" not in text
    assert f"lookup {MASKED} token=***" in text and f"no customer with phone {MASKED}" in text


def test_every_handler_in_the_settings_masks():
    handlers = settings.LOGGING["handlers"]
    assert handlers and all("mask" in handler.get("filters", []) for handler in handlers.values()), handlers
    assert settings.LOGGING["filters"]["mask"]["()"] == "wuyou.core.logmasking.SensitiveDataFilter"


def test_every_live_handler_of_the_project_and_django_masks():
    """After Django configured logging, no handler on the way from a wuyou or django logger writes unmasked."""
    names = ["", "django", "django.request", "django.server", "django.security", "wuyou", "wuyou.security"]
    for name in names:
        logger: logging.Logger | None = logging.getLogger(name)
        while logger is not None:
            for handler in logger.handlers:
                if type(handler).__module__.startswith("_pytest"):
                    continue  # pytest's own capture of log records
                assert any(isinstance(f, SensitiveDataFilter) for f in handler.filters), (name, handler)
            logger = logger.parent if logger.propagate else None


# ---------------------------------------------------------------------------------------- a real served session

REQUESTS = [
    f"/api/v1/lookup?phone={PHONE}&token=abc",
    f"/customers/?q={PHONE}",  # the console search, a GET
    f"/api/v1/lookup?phone={LANDLINE}&password=hunter2",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> int:
    request = urllib.request.Request(url)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=20) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the login redirect's own request line is not what is measured


def _serve_and_read(command: list[str], port: int, tmp_path: Path) -> str:
    """Run the server, wait for it, send REQUESTS, stop it, and return everything it wrote."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    # A database of its own (the requests read none: no login, no token), and a var folder for its key.
    env.update(
        WUYOU_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'served.sqlite3'}",
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONUNBUFFERED="1",
    )
    log_path = tmp_path / "served.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline, status = time.monotonic() + 90, 0
            while time.monotonic() < deadline and not status:
                time.sleep(0.3)
                assert server.poll() is None, log_path.read_text(errors="replace")
                try:
                    status = _get(f"http://127.0.0.1:{port}/login/")
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    continue
            assert status == 200, log_path.read_text(errors="replace")
            statuses = [_get(f"http://127.0.0.1:{port}{path}") for path in REQUESTS]
            assert all(s < 500 for s in statuses), (statuses, log_path.read_text(errors="replace"))
            time.sleep(0.5)  # the last access line is written after the response
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    return log_path.read_text(errors="replace")


def _assert_masked(written: str) -> None:
    assert "/api/v1/lookup?phone=" in written and "/customers/?q=" in written, written[-3000:]
    assert PHONE not in written and "83881234" not in written, written[-3000:]
    assert "token=abc" not in written and "hunter2" not in written, written[-3000:]
    assert MASKED in written and LANDLINE_MASKED in written and "token=***" in written, written[-3000:]


@pytest.mark.skipif(sys.platform == "win32", reason="gunicorn runs on POSIX only")
def test_the_access_log_of_wuyou_serve_masks_phones_and_tokens(tmp_path):
    port = _free_port()
    ((name, web), *_rest) = cli.serve_commands(
        host="127.0.0.1", port=port, workers=1, task_workers=0, sweepers=0, base_dir=ROOT
    )
    assert name == "web" and "wuyou.core.gunicorn_logger.MaskingLogger" in web
    _assert_masked(_serve_and_read(web, port, tmp_path))


def test_runserver_masks_its_request_lines_too(tmp_path):
    port = _free_port()
    command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"]
    _assert_masked(_serve_and_read(command, port, tmp_path))
