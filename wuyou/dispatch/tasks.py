"""Background work for dispatch, run by django-tasks' `db_worker`."""

from __future__ import annotations

from django_tasks import task

from wuyou.dispatch.services import plan_run


@task()
def plan_optimise(plan_id: int) -> str:
    """Optimise a queued plan; returns the plan's status afterwards ("" when another worker had it)."""
    plan = plan_run(plan_id=plan_id)
    return plan.status if plan is not None else ""
