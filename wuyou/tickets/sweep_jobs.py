"""Jobs the deadline sweeper runs besides the clocks, registered by the apps above tickets (ADR 0004).

quality registers the daily sample draw and the overdue rectification actions; tickets knows neither. Each job is
called every sweep, must be cheap when there is nothing to do, safe with several sweepers (claims with conditional
updates or unique rows), and returns how many things it acted on. A failing job is logged, never ends the sweeper.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

log = logging.getLogger("wuyou.sweep")

SweepJob = Callable[[dt.datetime], int]
_JOBS: dict[str, SweepJob] = {}


def sweep_job_register(name: str, job: SweepJob) -> None:
    """Run `job(now)` on every sweep (called from an app's ready(); the same name twice replaces, never doubles)."""
    _JOBS[name] = job


def sweep_jobs_run(now: dt.datetime) -> dict[str, int]:
    """Run every registered job once; what each acted on (a job that failed is logged and reported as -1)."""
    done: dict[str, int] = {}
    for name, job in sorted(_JOBS.items()):
        try:
            done[name] = job(now)
        except Exception:  # one app's broken job must not stop the clocks of every other
            log.exception("sweep job %s failed", name)
            done[name] = -1
    return done
