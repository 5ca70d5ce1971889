"""What the apps above field service do when a visit is done, registered in their ready() (ADR 0004).

quality schedules its callbacks after the visit here (3 hours after an uncertain repair, after an on-site "not
satisfied", after the visit for an unsatisfied customer); field service knows nothing of callbacks. Hooks run inside
the "done" step's transaction: a hook that refuses undoes the step, so none should refuse over its own trouble.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from wuyou.accounts.actors import Actor
from wuyou.dispatch.models import WorkOrder

VisitDone = Callable[[Actor, WorkOrder, dt.datetime], object]
_HOOKS: dict[str, VisitDone] = {}


def visit_done_register(name: str, hook: VisitDone) -> None:
    """Call `hook(actor, work_order, at)` whenever a visit is done (the same name twice replaces, never doubles)."""
    _HOOKS[name] = hook


def visit_done_run(*, actor: Actor, work_order: WorkOrder, at: dt.datetime) -> None:
    """Run every registered hook for a visit just done (in the caller's transaction)."""
    for _name, hook in sorted(_HOOKS.items()):
        hook(actor, work_order, at)
