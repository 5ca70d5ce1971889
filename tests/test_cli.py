"""The `wuyou` command line: help, pass-through to Django, and `serve` running and stopping its processes."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from wuyou import cli

ROOT = Path(__file__).resolve().parent.parent


# -- the command table -----------------------------------------------------------------------------


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for name in ("serve", "demo", "migrate", "manage"):
        assert re.search(rf"^\s+{name}\s", out, re.M), name


def test_no_subcommand_prints_help_and_fails(capsys):
    assert cli.main([]) == 2
    assert "serve" in capsys.readouterr().out


def test_serve_help_documents_its_options(capsys):
    with pytest.raises(SystemExit):
        cli.main(["serve", "--help"])
    out = capsys.readouterr().out
    assert "--port" in out and "--host" in out and "--workers" in out


@pytest.fixture
def recorded(monkeypatch) -> list[tuple[str, ...]]:
    """Django management calls made by the CLI, recorded instead of run."""
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(cli, "setup_django", lambda: None)
    monkeypatch.setattr(cli, "pending_migrations", lambda: 0)
    monkeypatch.setattr(cli, "manage", lambda *args: calls.append(args))
    return calls


def test_manage_passes_every_argument_through_to_django(recorded):
    assert cli.main(["manage", "check", "--deploy", "--fail-level", "WARNING"]) == 0
    assert recorded == [("check", "--deploy", "--fail-level", "WARNING")]


def test_demo_migrates_then_loads_with_the_given_options(recorded):
    assert cli.main(["demo", "--customers", "60", "--new-token"]) == 0
    assert recorded[0][0] == "migrate"
    assert recorded[1][0] == "createcachetable"
    assert recorded[-1] == ("load_demo", "--customers", "60", "--new-token")


def test_demo_help_does_not_touch_the_database(recorded, capsys):
    assert cli.main(["demo", "--help"]) == 0
    assert recorded == []  # Wuyou prints the help itself (issue 13 item 12)
    assert capsys.readouterr().out.startswith("usage: wuyou demo")


def test_migrate_also_creates_the_cache_table(recorded):
    assert cli.main(["migrate"]) == 0
    assert [call[0] for call in recorded] == ["migrate", "createcachetable"]


def test_a_new_subcommand_is_one_registered_function(monkeypatch, capsys):
    monkeypatch.setattr(cli, "SUBCOMMANDS", dict(cli.SUBCOMMANDS))
    cli.subcommand("sweep", "escalate overdue requests")(lambda args: 7)
    assert cli.main(["sweep"]) == 7
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "escalate overdue requests" in capsys.readouterr().out


def test_serve_runs_gunicorn_and_the_task_workers():
    commands = dict(cli.serve_commands(host="0.0.0.0", port=9000, workers=4, task_workers=2, base_dir=ROOT))
    web = commands["web"]
    assert web[1:3] == ["-m", "gunicorn"] and "config.wsgi:application" in web
    assert web[web.index("--bind") + 1] == "0.0.0.0:9000" and web[web.index("--workers") + 1] == "4"
    assert [name for name in commands if name.startswith("task-worker")] == ["task-worker-1", "task-worker-2"]
    assert commands["task-worker-1"][1:4] == ["-m", "django", "db_worker"]
    assert commands["sweeper-1"][1:4] == ["-m", "django", "sweep"]  # one deadline sweeper by default


# -- the supervisor, with stand-in processes ------------------------------------------------------


class FakeProcess:
    """Stands in for a child process: runs until terminated, or exits by itself after `exit_after` polls."""

    def __init__(self, *, exit_after: int | None = None, code: int = 0, stubborn: bool = False):
        self.exit_after, self.code, self.stubborn = exit_after, code, stubborn
        self.polls = 0
        self.returncode: int | None = None
        self.terminated = self.killed = False

    def poll(self) -> int | None:
        self.polls += 1
        if self.returncode is None and self.exit_after is not None and self.polls > self.exit_after:
            self.returncode = self.code
        return self.returncode

    def terminate(self) -> None:
        self.terminated = True
        if not self.stubborn:
            self.returncode = -signal.SIGTERM

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            raise subprocess.TimeoutExpired("fake", timeout or 0)
        return self.returncode

    def kill(self) -> None:
        self.killed = True
        self.returncode = -signal.SIGKILL


def supervise(processes: list[FakeProcess], **kwargs: object) -> tuple[cli.Supervisor, int]:
    queue = iter(processes)
    supervisor = cli.Supervisor(
        [("web", ["gunicorn"]), ("task-worker-1", ["db_worker"])], cwd=ROOT, popen=lambda *a, **k: next(queue), **kwargs
    )  # type: ignore[arg-type]
    return supervisor, supervisor.run(poll_seconds=0.001)


def test_when_one_child_dies_the_others_are_stopped_and_its_status_returned():
    web, worker = FakeProcess(), FakeProcess(exit_after=3, code=3)
    _supervisor, status = supervise([web, worker])
    assert status == 3
    assert web.terminated and web.returncode is not None


def test_sigterm_stops_every_child_and_exits_cleanly():
    web, worker = FakeProcess(), FakeProcess()
    queue = iter([web, worker])
    supervisor = cli.Supervisor(
        [("web", ["gunicorn"]), ("task-worker-1", ["db_worker"])], cwd=ROOT, popen=lambda *a, **k: next(queue)
    )  # type: ignore[arg-type]
    original_poll = worker.poll

    def poll_then_signal() -> int | None:
        if worker.polls == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # as `kill <pid>` or a process manager would
        return original_poll()

    worker.poll = poll_then_signal  # type: ignore[method-assign]
    assert supervisor.run(poll_seconds=0.001) == 0
    assert web.terminated and worker.terminated
    assert signal.getsignal(signal.SIGTERM) is not supervisor.request_stop  # handlers restored


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_period():
    web, worker = FakeProcess(stubborn=True), FakeProcess(exit_after=1, code=1)
    _supervisor, status = supervise([web, worker], grace_seconds=0.01)
    assert status == 1
    assert web.terminated and web.killed


# -- for real: a fresh embedded database, the demo, the server, and a clean stop ------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find child processes")
def test_demo_and_serve_work_on_a_fresh_checkout(tmp_path):
    # Given a fresh machine: no database yet, no DATABASE_URL
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(WUYOU_VAR_DIR=str(tmp_path), PYTHONUNBUFFERED="1")
    wuyou = [sys.executable, "-m", "wuyou.cli"]
    # When the demo is loaded (small) through `wuyou demo`
    demo = subprocess.run(
        [*wuyou, "demo", "--customers", "12", "--units", "14", "--requests", "16"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert demo.returncode == 0, demo.stderr
    assert (tmp_path / "wuyou.sqlite3").exists()
    token = re.search(r"\bwy_[A-Za-z0-9_\-]{20,}", demo.stdout).group(0)
    # And `wuyou serve` is started
    port = _free_port()
    server = subprocess.Popen(
        [*wuyou, "serve", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        status = 0
        while time.monotonic() < deadline and status != 200:
            time.sleep(0.5)
            try:
                status, _body = _get(f"http://127.0.0.1:{port}/admin/login/")
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                # not up yet, or its first answer is slow on a busy machine (workers still importing)
                assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
        # Then the web UI answers, and the API answers the demo's token with the demo's requests
        assert status == 200
        status, body = _get(f"http://127.0.0.1:{port}/api/v1/requests?limit=50", token)
        _status, visits = _get(f"http://127.0.0.1:{port}/api/v1/dispatch/work-orders", token)
        # the requested 16, plus the field day's and the quality month's requests (with their visits)
        assert status == 200 and json.loads(visits)["count"] > 0
        assert json.loads(body)["count"] > 16
        assert _get(f"http://127.0.0.1:{port}/api/v1/requests")[0] == 401
        # and gunicorn, the task worker and the deadline sweeper run as its children
        children = _children(server.pid)
        assert len(children) == 3
        # When it gets SIGTERM, Then it stops them all and exits cleanly
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in children):
            time.sleep(0.1)  # orphans are reaped by init a moment after their parent exits
        assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]
    finally:
        if server.poll() is None:
            server.terminate()  # lets the supervisor stop its children too
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
