"""The deadline sweeper as a long-running process: `wuyou sweep` (one per database is plenty; more are safe)."""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from wuyou.notifications.services import outbox_kick
from wuyou.tickets.sweep import clocks_sweep
from wuyou.tickets.sweep_jobs import sweep_jobs_run

log = logging.getLogger("wuyou.sweep")


class Command(BaseCommand):
    help = "Warn and escalate requests whose time limits come due; keep the notification outbox moving."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="sweep once and exit")
        parser.add_argument("--interval", type=float, default=15.0, help="seconds between sweeps (default %(default)s)")
        parser.add_argument("--batch", type=int, default=500, help="clocks claimed per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] <= 0 or options["batch"] <= 0:
            self.stderr.write("--interval and --batch must be positive")
            raise SystemExit(2)
        self.stopping = False
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._stop)
        first = True  # the first sweep catches up on what fell due while no sweeper ran: one line, however much
        while True:
            close_old_connections()
            try:
                report = clocks_sweep(batch=options["batch"])
                jobs = sweep_jobs_run(timezone.now())  # the apps' own due work: the daily sample draw, overdue actions
                kicked = outbox_kick()
            except DatabaseError as error:  # the database restarting must not end the sweeper
                log.warning("sweep failed, will retry: %s", error)
                close_old_connections()
            else:
                if report.acted or any(jobs.values()) or options["once"]:
                    line = report.summary() + "".join(f"; {name}: {n}" for name, n in jobs.items() if n)
                    line += "; delivery queued" if kicked else ""
                    log.info("sweep catch-up at start: %s" if first else "sweep: %s", line)
                    if options["once"]:
                        self.stdout.write(line)
                first = False
            if options["once"] or self.stopping:
                return
            deadline = time.monotonic() + options["interval"]
            while not self.stopping and time.monotonic() < deadline:
                time.sleep(min(0.5, options["interval"]))

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True  # finish the batch in hand (its transaction), then leave
