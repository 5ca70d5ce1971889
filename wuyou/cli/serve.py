"""`wuyou serve`: migrate, collect static files, then gunicorn, the task workers and the sweepers as children."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import wuyou.cli as cli  # the registry and helpers, looked up when called

# -- wuyou serve -----------------------------------------------------------------------------------


def _configure_serve(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default %(default)s)"))
    parser.add_argument("--port", type=int, default=8000, help=_("port to listen on (default %(default)s)"))
    parser.add_argument("--workers", type=int, default=2, help=_("gunicorn web worker processes (default %(default)s)"))
    parser.add_argument(
        "--task-workers",
        type=int,
        default=1,
        help=_("background task worker processes (db_worker; default %(default)s; 0 for none)"),
    )
    parser.add_argument(
        "--sweepers",
        type=int,
        default=1,
        help=_("deadline sweeper processes (default %(default)s; 0 when another host runs it)"),
    )


def serve_commands(
    *, host: str, port: int, workers: int, task_workers: int, base_dir: Path, sweepers: int = 1
) -> list[tuple[str, list[str]]]:
    """The child processes of `wuyou serve`, named: gunicorn, the task workers, the deadline sweeper."""
    python = sys.executable
    web = [
        python,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--chdir",
        str(base_dir),
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        # The access log masks phone numbers and token/key/secret/password values in request lines (ASVS 7.1.1).
        "--logger-class",
        "wuyou.core.gunicorn_logger.MaskingLogger",
        "--graceful-timeout",
        "10",
    ]
    if _gunicorn_knows("--no-control-socket"):
        # gunicorn ≥ 25 opens a control socket at one fixed path per user; two servers would fight over it.
        web.append("--no-control-socket")
    worker = [python, "-m", "django", "db_worker", "--no-reload", "--queue-name", "*"]
    sweeper = [python, "-m", "django", "sweep"]
    return (
        [("web", web)]
        + [(f"task-worker-{n + 1}", worker) for n in range(task_workers)]
        + [(f"sweeper-{n + 1}", sweeper) for n in range(sweepers)]
    )


def _gunicorn_knows(option: str) -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(option in (setting.cli or ()) for setting in KNOWN_SETTINGS)


class Supervisor:
    """Runs child processes together: when one stops, or on Ctrl-C/SIGTERM, all are stopped."""

    def __init__(
        self,
        commands: Sequence[tuple[str, Sequence[str]]],
        *,
        cwd: Path,
        grace_seconds: float = 15.0,
        popen: Callable[..., subprocess.Popen[bytes]] = subprocess.Popen,
    ):
        self.commands = [(name, list(command)) for name, command in commands]
        self.cwd = cwd
        self.grace_seconds = grace_seconds
        self.popen = popen
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.stopping = False

    def request_stop(self, signum: int, frame: FrameType | None = None) -> None:
        """Signal handler: ask the loop to stop the children."""
        self.stopping = True

    def run(self, poll_seconds: float = 0.5) -> int:
        """Start every child, wait until one exits or a stop is requested, then stop the rest."""
        previous = {s: signal.signal(s, self.request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for name, command in self.commands:
                self.children.append((name, self.popen(command, cwd=self.cwd, env=os.environ.copy())))
            exited: int | None = None
            while not self.stopping and exited is None:
                for name, child in self.children:
                    if child.poll() is not None:
                        exited = child.returncode
                        print(
                            _("wuyou: %(name)s exited with status %(status)s; stopping the others")
                            % {"name": name, "status": exited},
                            file=sys.stderr,
                        )
                        break
                else:
                    time.sleep(poll_seconds)
            self.stop()
            return 0 if exited is None else (exited or 1)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop(self) -> None:
        """SIGTERM to every live child, then SIGKILL to those still alive after the grace period."""
        for _name, child in self.children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + self.grace_seconds
        for _name, child in self.children:
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


@cli.subcommand(
    "serve",
    gettext_lazy(
        "migrate, collect static files, then run gunicorn, the task worker and the deadline sweeper until Ctrl-C"
    ),
    configure=_configure_serve,
)
def run_serve(args: argparse.Namespace) -> int:
    cli.setup_django()
    from django.conf import settings

    cli.prepare_database()
    cli.manage("collectstatic", "--no-input", "--verbosity", "0")
    base_dir = Path(settings.BASE_DIR)
    commands = serve_commands(
        host=args.host,
        port=args.port,
        workers=args.workers,
        task_workers=args.task_workers,
        base_dir=base_dir,
        sweepers=args.sweepers,
    )
    print(
        _(
            "Wuyou is starting on http://%(host)s:%(port)s/ (%(workers)s web workers, %(task_workers)s task workers, "
            "%(sweepers)s deadline sweeper). Ctrl-C stops it."
        )
        % {
            "host": args.host,
            "port": args.port,
            "workers": args.workers,
            "task_workers": args.task_workers,
            "sweepers": args.sweepers,
        },
        flush=True,
    )
    return Supervisor(commands, cwd=base_dir).run()
